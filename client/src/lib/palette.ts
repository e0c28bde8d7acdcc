// The command palette's logic, without React: what it offers (cars, pages, commands) and how typed text
// finds them (substring first, then letters in order), plus its keyboard helpers.

import type { BaseKey } from '../i18n/en';

export type PaletteKind = 'page' | 'car' | 'command';

export interface PaletteItem {
  /** Unique among the items: also the option's DOM id suffix. */
  id: string;
  kind: PaletteKind;
  /** What the option says, e.g. "Drives" or "Set charge limit". */
  label: string;
  /** What it belongs to, shown after the label, e.g. the car's name. */
  context?: string;
  /** More words that find it but are not shown, e.g. the VIN, the command's description. */
  keywords?: string;
  /** Where choosing it goes (a path of this app). */
  to: string;
}

/** A top-level page: its path and the key of its name. */
export interface PageEntry {
  path: string;
  label: BaseKey;
}

/** A car's pages, relative to /cars/:vin. */
export const CAR_PAGES: readonly PageEntry[] = [
  { path: '', label: 'nav.live' },
  { path: '/drives', label: 'nav.drives' },
  { path: '/charging', label: 'nav.charging' },
  { path: '/battery', label: 'nav.battery' },
  { path: '/stats', label: 'nav.stats' },
  { path: '/commands', label: 'nav.commands' },
];

/** The pages outside any car (App.tsx's top-level routes), in the main navigation's order. */
export const TOP_PAGES: readonly PageEntry[] = [
  { path: '/', label: 'nav.fleet' },
  { path: '/places', label: 'nav.places' },
  { path: '/exports', label: 'nav.exports' },
  { path: '/notifications', label: 'nav.notifications' },
  { path: '/automations', label: 'nav.automations' },
  { path: '/helix', label: 'nav.helix' },
  { path: '/settings', label: 'nav.settings' },
];

/** The top-level pages to offer: Helix only while it is on (as the main navigation does). */
export function topPages({ helix }: { helix: boolean }): PageEntry[] {
  return TOP_PAGES.filter((page) => helix || page.path !== '/helix');
}

export interface PaletteVehicle {
  vin: string;
  displayName?: string | null;
}

export interface PaletteCommand {
  command: string;
  description?: string | null;
  category?: string | null;
}

export interface PaletteSources {
  vehicles: readonly PaletteVehicle[];
  commands: readonly PaletteCommand[];
  pages?: readonly PageEntry[];
  carPages?: readonly PageEntry[];
  /** A page's name in the user's language. */
  label: (key: BaseKey) => string;
  /** A command's name for people, e.g. SET_CHARGE_LIMIT → "Set charge limit". */
  commandLabel: (command: string) => string;
  /** "car" as a word that finds cars, in the user's language. */
  carWord?: string;
}

/** Everything the palette offers: pages first, then each car and its pages, then each car's commands. */
export function paletteItems(sources: PaletteSources): PaletteItem[] {
  const { vehicles, commands, label, commandLabel } = sources;
  const pages = sources.pages ?? TOP_PAGES;
  const carPages = sources.carPages ?? CAR_PAGES;
  const items: PaletteItem[] = pages.map((page) => ({ id: `page:${page.path}`, kind: 'page', label: label(page.label), to: page.path }));
  for (const vehicle of vehicles) {
    const name = vehicle.displayName || vehicle.vin;
    const base = `/cars/${encodeURIComponent(vehicle.vin)}`;
    items.push({ id: `car:${vehicle.vin}`, kind: 'car', label: name, keywords: [vehicle.vin, sources.carWord].filter(Boolean).join(' '), to: base });
    for (const page of carPages) {
      if (page.path === '') continue; // the car itself is its live page
      items.push({ id: `car:${vehicle.vin}:${page.path}`, kind: 'page', label: label(page.label), context: name, keywords: vehicle.vin, to: `${base}${page.path}` });
    }
  }
  for (const vehicle of vehicles) {
    const name = vehicle.displayName || vehicle.vin;
    const base = `/cars/${encodeURIComponent(vehicle.vin)}/commands`;
    for (const command of commands) {
      items.push({
        id: `command:${vehicle.vin}:${command.command}`,
        kind: 'command',
        label: commandLabel(command.command),
        context: name,
        keywords: [command.command, command.description, vehicle.vin].filter(Boolean).join(' '),
        to: `${base}?command=${encodeURIComponent(command.command)}`,
      });
    }
  }
  return items;
}

/** Lower case, accents dropped, spaces collapsed: "Démo  Model" → "demo model". */
export function normalize(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim();
}

export interface TextMatch {
  score: number;
  /** Matched as letters in order, not as a whole substring. */
  fuzzy: boolean;
  /** Positions in the text that matched, ascending. */
  indices: number[];
}

function isWordStart(text: string, index: number): boolean {
  if (index === 0) return true;
  const before = text.charAt(index - 1);
  return !/[\p{L}\p{N}]/u.test(before);
}

function range(start: number, length: number): number[] {
  return Array.from({ length }, (_, i) => start + i);
}

/** Like normalize, character by character, so that positions in the result are positions in `text`. */
function foldAligned(text: string): string {
  let folded = '';
  for (let i = 0; i < text.length; i++) {
    const char = text.charAt(i);
    const plain = char.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase();
    folded += plain.length === 1 ? plain : char.toLowerCase().length === 1 ? char.toLowerCase() : char;
  }
  return folded.replace(/\s/g, ' ');
}

/**
 * How well `term` (normalized) matches `text`: the whole text (best), its start, a word's start, anywhere
 * in it; else its letters in order (fuzzy: fewer gaps and more word starts score higher). Null: no match.
 */
export function matchText(term: string, text: string): TextMatch | null {
  if (term === '') return { score: 0, fuzzy: false, indices: [] };
  const hay = foldAligned(text);
  if (hay === term) return { score: 1000, fuzzy: false, indices: range(0, term.length) };
  const at = hay.indexOf(term);
  if (at === 0) return { score: 800 - hay.length / 100, fuzzy: false, indices: range(0, term.length) };
  if (at > 0) {
    // a later occurrence at a word's start beats the first one in the middle of a word
    let index = at;
    while (index !== -1 && !isWordStart(hay, index)) index = hay.indexOf(term, index + 1);
    if (index !== -1) return { score: 600 - Math.min(index, 100), fuzzy: false, indices: range(index, term.length) };
    return { score: 400 - Math.min(at, 100), fuzzy: false, indices: range(at, term.length) };
  }
  // letters in order
  const indices: number[] = [];
  let from = 0;
  let score = 100;
  for (const char of term) {
    if (char === ' ') continue;
    const found = hay.indexOf(char, from);
    if (found === -1) return null;
    const previous = indices[indices.length - 1];
    if (previous !== undefined && found === previous + 1) score += 5;
    else if (previous !== undefined) score -= Math.min(found - previous, 10);
    if (isWordStart(hay, found)) score += 8;
    indices.push(found);
    from = found + 1;
  }
  return { score: Math.min(score, 299), fuzzy: true, indices };
}

export interface PaletteResult {
  item: PaletteItem;
  score: number;
  /** Positions in the label to highlight. */
  indices: number[];
}

const KIND_ORDER: Record<PaletteKind, number> = { page: 0, car: 1, command: 2 };

/**
 * The items matching `query`, best first, at most `limit`. Each word of the query must match the label,
 * the context or the keywords; a word matching the label counts more. An empty query keeps the items'
 * own order.
 */
export function filterPalette(items: readonly PaletteItem[], query: string, limit = 50): PaletteResult[] {
  const terms = normalize(query).split(' ').filter(Boolean);
  if (terms.length === 0) return items.slice(0, limit).map((item) => ({ item, score: 0, indices: [] }));
  const results: (PaletteResult & { order: number })[] = [];
  items.forEach((item, order) => {
    let score = 0;
    const indices = new Set<number>();
    for (const term of terms) {
      const inLabel = matchText(term, item.label);
      const inContext = item.context ? matchText(term, item.context) : null;
      const inKeywords = item.keywords ? matchText(term, item.keywords) : null;
      // the context and keywords count for less, and only as whole substrings (not letters in order)
      const other = Math.max(
        inContext && !inContext.fuzzy ? inContext.score * 0.6 : -Infinity,
        inKeywords && !inKeywords.fuzzy ? inKeywords.score * 0.5 : -Infinity,
      );
      const labelScore = inLabel ? inLabel.score : -Infinity;
      if (labelScore === -Infinity && other === -Infinity) return;
      if (labelScore >= other && inLabel) {
        score += labelScore;
        inLabel.indices.forEach((i) => indices.add(i));
      } else {
        score += other;
      }
    }
    results.push({ item, score, indices: [...indices].sort((a, b) => a - b), order });
  });
  results.sort((a, b) => b.score - a.score || KIND_ORDER[a.item.kind] - KIND_ORDER[b.item.kind] || a.order - b.order);
  return results.slice(0, limit).map(({ item, score, indices }) => ({ item, score, indices }));
}

/** The label cut into plain and highlighted runs, for <mark>. */
export function highlightRuns(label: string, indices: readonly number[]): { text: string; hit: boolean }[] {
  const hits = new Set(indices);
  const runs: { text: string; hit: boolean }[] = [];
  for (let i = 0; i < label.length; i++) {
    const hit = hits.has(i);
    const last = runs[runs.length - 1];
    if (last && last.hit === hit) last.text += label.charAt(i);
    else runs.push({ text: label.charAt(i), hit });
  }
  return runs;
}

/** The next active option after moving by `delta`, wrapping around; -1 when there are none. */
export function moveActive(current: number, delta: number, count: number): number {
  if (count <= 0) return -1;
  if (current < 0) return delta >= 0 ? 0 : count - 1;
  return (((current + delta) % count) + count) % count;
}

/** Whether the platform (navigator.platform) is Apple's, where ⌘ takes Ctrl's part in shortcuts. */
export function isApple(platform: string): boolean {
  return /mac|iphone|ipad/i.test(platform);
}

/**
 * Whether a key press opens the palette: Ctrl+K, or ⌘K on a Mac (where Ctrl+K stays what it is in text
 * fields: delete to the end of the line).
 */
export function isPaletteShortcut(
  event: { key: string; ctrlKey: boolean; metaKey: boolean; altKey: boolean; shiftKey: boolean },
  platform = '',
): boolean {
  if (event.key.toLowerCase() !== 'k' || event.altKey || event.shiftKey) return false;
  return isApple(platform) ? event.metaKey && !event.ctrlKey : event.ctrlKey || event.metaKey;
}

/** The shortcut as this platform writes it. */
export function shortcutLabel(platform: string): string {
  return isApple(platform) ? '⌘K' : 'Ctrl K';
}
