// Helix answers for display: why a feature could not answer (its code in words), a streamed answer put
// together from its events, the sentences flagged unsupported marked in the text, a citation's excerpt with
// its matched words and its link, who may administer Helix, and a feature's budget as typed.

import type { MessageKey } from '../i18n/en';
import type { Params } from '../i18n/translate';
import { parseNumber } from './commandForm';

export interface Explained {
  key: MessageKey;
  params?: Params;
}

/** "retry in 42 s", "retry after 3.5 seconds": the seconds; null when the message names none. */
export function retrySeconds(message: string | null | undefined): number | null {
  const match = /retry\D{0,12}?(\d+(?:\.\d+)?)\s*(?:s\b|sec|second)/i.exec(message ?? '');
  return match ? Math.max(1, Math.ceil(Number(match[1]))) : null;
}

/** A HelixUnavailable (or a failed run's errorCode) in words. */
export function explainUnavailable(code: string, message: string | null | undefined): Explained {
  switch (code) {
    case 'HELIX_DISABLED':
      return { key: 'helix.problem.disabled' };
    case 'HELIX_BUDGET_EXCEEDED':
      return { key: 'helix.problem.budget' };
    case 'HELIX_RATE_LIMITED':
    case 'RATE_LIMITED': {
      const seconds = retrySeconds(message);
      return seconds === null ? { key: 'helix.problem.rateLimited' } : { key: 'helix.problem.rateLimitedIn', params: { seconds } };
    }
    case 'HELIX_TIMEOUT':
      return { key: 'helix.problem.timeout' };
    case 'HELIX_UNAVAILABLE':
      return { key: 'helix.problem.unavailable' };
    case 'HELIX_PROVIDER_REJECTED':
      return { key: 'helix.problem.rejected' };
    case 'HELIX_BAD_OUTPUT':
      return { key: 'helix.problem.badOutput' };
    case 'BAD_INPUT':
      return { key: 'helix.problem.badInput', params: { message: message ?? '' } };
    default:
      return { key: 'helix.problem.other', params: { code, message: message || code } };
  }
}

// -- streaming ---------------------------------------------------------------------------------------------

export interface StreamRun {
  text: string;
  status: string;
}

export interface StreamState<R extends StreamRun = StreamRun> {
  /** The answer so far: the deltas appended, then the finished run's text. */
  text: string;
  /** running, done or failed. */
  status: string;
  /** How many events brought text. */
  chunks: number;
  /** The run as the last event gave it. */
  run: R | null;
}

export function startStream<R extends StreamRun>(run: R): StreamState<R> {
  return { text: run.text, status: run.status, chunks: run.text ? 1 : 0, run };
}

/**
 * One helixStream event applied: its delta appended while the run runs; once it has ended, the run's own
 * text (the whole answer, as stored) replaces what was put together.
 */
export function applyStreamEvent<R extends StreamRun>(state: StreamState<R>, event: { delta: string; status: string; run: R }): StreamState<R> {
  if (state.status !== 'running') return state; // an ended run takes no more
  const chunks = state.chunks + (event.delta ? 1 : 0);
  if (event.status !== 'running') return { text: event.run.text || state.text + event.delta, status: event.status, chunks, run: event.run };
  return { text: state.text + event.delta, status: event.status, chunks, run: event.run };
}

// -- the answer's text -------------------------------------------------------------------------------------

export interface Segment {
  text: string;
  unsupported: boolean;
}

/** The answer cut into runs of text, the sentences flagged unsupported (found in it) marked. */
export function answerSegments(text: string, unsupported: readonly string[]): Segment[] {
  const spans: [number, number][] = [];
  for (const sentence of unsupported) {
    const needle = sentence.trim();
    if (!needle) continue;
    let from = 0;
    for (;;) {
      const at = text.indexOf(needle, from);
      if (at < 0) break;
      const end = at + needle.length;
      if (!spans.some(([s, e]) => at < e && end > s)) spans.push([at, end]);
      from = end;
    }
  }
  spans.sort((a, b) => a[0] - b[0]);
  const segments: Segment[] = [];
  let pos = 0;
  for (const [start, end] of spans) {
    if (start > pos) segments.push({ text: text.slice(pos, start), unsupported: false });
    segments.push({ text: text.slice(start, end), unsupported: true });
    pos = end;
  }
  if (pos < text.length) segments.push({ text: text.slice(pos), unsupported: false });
  return segments;
}

/** The flagged sentences the text does not contain word for word (listed apart so none goes unseen). */
export function unplacedSentences(text: string, unsupported: readonly string[]): string[] {
  return unsupported.filter((s) => s.trim() && !text.includes(s.trim()));
}

/** A citation's excerpt: the retrieval marks matched words «like this»; those parts are `match`. */
export function snippetParts(snippet: string): { text: string; match: boolean }[] {
  const parts: { text: string; match: boolean }[] = [];
  const re = /«([^«»]*)»/g;
  let pos = 0;
  for (let m = re.exec(snippet); m; m = re.exec(snippet)) {
    if (m.index > pos) parts.push({ text: snippet.slice(pos, m.index), match: false });
    if (m[1]) parts.push({ text: m[1], match: true });
    pos = m.index + m[0].length;
  }
  if (pos < snippet.length) parts.push({ text: snippet.slice(pos), match: false });
  return parts;
}

/**
 * Where a cited section is published, when the documentation's address is known (VITE_DOCS_URL, a
 * MkDocs site): "operations.md" + "workers" → "<base>/operations/#workers"; null without an address.
 */
export function citationHref(citation: { path: string; anchor: string }, docsBase: string | null | undefined): string | null {
  if (!docsBase) return null;
  const base = docsBase.endsWith('/') ? docsBase : `${docsBase}/`;
  const page = citation.path.replace(/\\/g, '/').replace(/^\/+/, '');
  let route = page.replace(/\.md$/i, '');
  if (route === 'index' || route.endsWith('/index')) route = route.slice(0, -'index'.length);
  else route = `${route}/`;
  const anchor = citation.anchor ? `#${encodeURIComponent(citation.anchor)}` : '';
  return `${base}${route}${anchor}`;
}

// -- administration ----------------------------------------------------------------------------------------

export interface MeLike {
  credential: string;
  scopes: readonly string[];
  user?: { isAdmin: boolean } | null;
}

/** Administrators: an admin-scoped credential of an administrator (or demo mode's anonymous loopback caller). */
export function canAdminister(me: MeLike | null | undefined): boolean {
  if (!me || !me.scopes.includes('ADMIN')) return false;
  return me.user ? me.user.isAdmin : me.credential === 'anonymous';
}

/** A monthly budget as typed: empty clears it (no own limit); else USD, zero or more, as a Decimal string. */
export function parseBudget(text: string): { ok: true; clear: true } | { ok: true; clear: false; value: string } | { ok: false; error: Explained } {
  if (!text.trim()) return { ok: true, clear: true };
  const value = parseNumber(text);
  if (value === null) return { ok: false, error: { key: 'validation.number' } };
  if (value < 0) return { ok: false, error: { key: 'validation.min', params: { min: 0 } } };
  return { ok: true, clear: false, value: String(value) };
}

/** A budget's share spent, 0..100 (more when over); null without a budget. */
export function spentPercent(spent: number, budget: number | null | undefined): number | null {
  if (budget === null || budget === undefined) return null;
  if (budget <= 0) return spent > 0 ? 100 : 0;
  return Math.round((spent / budget) * 100);
}
