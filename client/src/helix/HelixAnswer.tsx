import { Link } from 'react-router';
import { translateOptional } from '../i18n/translate';
import { useSettings, useT } from '../lib/context';
import { answerSegments, citationHref, explainUnavailable, snippetParts, unplacedSentences } from '../lib/helix';
import { ApiError } from '../ui/ApiError';
import { Badge, type Tone } from '../ui/Badge';
import { Notice } from '../ui/Notice';
import type { HelixRunState } from './useHelixRun';

/** Where the documentation is published (a MkDocs site), for links from citations; none by default. */
const DOCS_URL: string = import.meta.env.VITE_DOCS_URL || '';

const STATUS_TONE: Record<string, Tone> = { running: 'info', done: 'success', failed: 'danger' };

function toolCallText(call: unknown): string {
  if (!call || typeof call !== 'object') return String(call);
  const { name, arguments: args } = call as { name?: unknown; arguments?: unknown };
  const given = args && typeof args === 'object' ? Object.entries(args as Record<string, unknown>).map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`) : [];
  return `${typeof name === 'string' ? name : '?'}(${given.join(', ')})`;
}

/** A run's answer: the text (growing while it streams), unsupported sentences marked, citations, tools. */
export function HelixAnswer({ state, vin }: { state: HelixRunState; vin?: string }) {
  const t = useT();
  const { settings } = useSettings();
  const { answer, unavailable, error } = state;
  if (error) return <ApiError error={error} />;
  if (unavailable) {
    const why = explainUnavailable(unavailable.code, unavailable.message);
    return (
      <div data-testid="helix-unavailable" data-code={unavailable.code}>
        <Notice tone="error" title={t('helix.unavailableTitle')}>
          {t(why.key, why.params)}
        </Notice>
      </div>
    );
  }
  if (!answer) return null;
  const run = answer.run;
  const unsupported = answer.status === 'running' ? [] : (run?.unsupported ?? []);
  const segments = answerSegments(answer.text, unsupported);
  const unplaced = unplacedSentences(answer.text, unsupported);
  const citations = answer.status === 'running' ? [] : (run?.citations ?? []);
  const toolCalls = Array.isArray(run?.toolCalls) ? (run.toolCalls as unknown[]) : [];
  const failed = answer.status === 'failed';
  const why = failed ? explainUnavailable(run?.errorCode ?? 'HELIX_UNAVAILABLE', null) : null;
  return (
    <div className="space-y-3" data-testid="helix-answer" data-status={answer.status} data-chunks={answer.chunks} data-length={answer.text.length}>
      <p className="flex flex-wrap items-center gap-2 text-sm" role="status">
        <Badge tone={STATUS_TONE[answer.status] ?? 'neutral'}>
          {translateOptional(settings.locale, `helix.status.${answer.status}`) ?? answer.status}
        </Badge>
        {unsupported.length > 0 && (
          <span className="text-amber-900 dark:text-amber-200">{t('helix.unsupportedCount', { count: unsupported.length })}</span>
        )}
      </p>
      <div
        className="whitespace-pre-wrap break-words rounded-md bg-slate-50 p-3 text-sm leading-relaxed dark:bg-slate-800/60"
        data-testid="helix-text"
        aria-busy={answer.status === 'running' || undefined}
      >
        {segments.length === 0 && answer.status === 'running' && <span className="text-slate-600 dark:text-slate-400">{t('helix.thinking')}</span>}
        {segments.map((s, i) =>
          s.unsupported ? (
            <mark
              key={i}
              data-unsupported=""
              title={t('helix.unsupportedMark')}
              className="rounded bg-amber-100 text-inherit underline decoration-amber-600 decoration-wavy decoration-1 underline-offset-4 dark:bg-amber-900/50"
            >
              {s.text}
              <span className="sr-only"> ({t('helix.unsupportedMark')})</span>
            </mark>
          ) : (
            <span key={i}>{s.text}</span>
          ),
        )}
      </div>
      {unsupported.length > 0 && <p className="text-xs text-slate-600 dark:text-slate-400">{t('helix.unsupportedHint')}</p>}
      {unplaced.length > 0 && (
        <ul className="list-disc pl-5 text-sm text-amber-900 dark:text-amber-200" aria-label={t('helix.unsupportedList')}>
          {unplaced.map((s) => (
            <li key={s}>{s}</li>
          ))}
        </ul>
      )}
      {why && (
        <Notice tone="error" title={t('helix.failedTitle')}>
          {t(why.key, why.params)}
        </Notice>
      )}
      {run?.proposal && (
        <div className="space-y-1 rounded-md border border-slate-200 p-3 text-sm dark:border-slate-700" data-testid="helix-proposal">
          <p className="flex flex-wrap items-center gap-2">
            <span className="font-semibold">{t('helix.proposal')}</span>
            <code className="font-mono">{run.proposal.command}</code>
            <Badge tone={run.proposal.valid ? 'success' : 'danger'}>{t(run.proposal.valid ? 'helix.proposalValid' : 'helix.proposalInvalid')}</Badge>
            {run.proposal.sensitive && <Badge tone="warning">{t('commands.sensitive')}</Badge>}
          </p>
          <pre className="overflow-x-auto font-mono text-xs">{JSON.stringify(run.proposal.params, null, 2)}</pre>
          {run.proposal.explanation && <p>{run.proposal.explanation}</p>}
          {run.proposal.problems.length > 0 && (
            <ul className="list-disc pl-5 text-red-700 dark:text-red-400">
              {run.proposal.problems.map((p) => (
                <li key={p}>{p}</li>
              ))}
            </ul>
          )}
          {vin && (
            <Link to={`/cars/${vin}/commands`} className="font-semibold text-blue-800 underline dark:text-blue-300">
              {t('helix.proposalSend')}
            </Link>
          )}
        </div>
      )}
      {citations.length > 0 && (
        <div>
          <h4 className="text-sm font-semibold">{t('helix.citations')}</h4>
          <ol className="mt-1 space-y-2 text-sm" data-testid="helix-citations">
            {citations.map((c, i) => {
              const href = citationHref(c, DOCS_URL);
              const title = `${c.heading} · ${c.path}`;
              return (
                <li key={`${c.path}#${c.anchor}-${i}`} className="rounded-md border border-slate-200 p-2 dark:border-slate-700" data-citation={`${c.path}#${c.anchor}`}>
                  <p className="font-medium">
                    <span className="mr-1 font-mono text-slate-600 dark:text-slate-400">[{i + 1}]</span>
                    {href ? (
                      <a href={href} className="text-blue-800 underline dark:text-blue-300" target="_blank" rel="noreferrer">
                        {title}
                      </a>
                    ) : (
                      <span>{title}</span>
                    )}
                  </p>
                  <blockquote className="mt-1 whitespace-pre-wrap break-words border-l-2 border-slate-300 pl-2 text-xs text-slate-700 dark:border-slate-600 dark:text-slate-300">
                    {snippetParts(c.snippet).map((p, j) => (p.match ? <mark key={j} className="bg-yellow-100 text-inherit dark:bg-yellow-900/50">{p.text}</mark> : <span key={j}>{p.text}</span>))}
                  </blockquote>
                </li>
              );
            })}
          </ol>
        </div>
      )}
      {toolCalls.length > 0 && (
        <details className="text-sm">
          <summary className="cursor-pointer font-medium">{t('helix.toolCalls', { count: toolCalls.length })}</summary>
          <ul className="mt-1 list-disc pl-5 font-mono text-xs break-all">
            {toolCalls.map((c, i) => (
              <li key={i}>{toolCallText(c)}</li>
            ))}
          </ul>
        </details>
      )}
    </div>
  );
}
