import { describe, expect, it } from 'vitest';
import {
  answerSegments,
  applyStreamEvent,
  canAdminister,
  citationHref,
  explainUnavailable,
  parseBudget,
  retrySeconds,
  snippetParts,
  spentPercent,
  startStream,
  unplacedSentences,
} from './helix';

describe('explainUnavailable', () => {
  it('gives the rate limit with its retry time when the message has one', () => {
    expect(explainUnavailable('RATE_LIMITED', 'too many requests to Helix (help_chat): retry in 42 s')).toEqual({
      key: 'helix.problem.rateLimitedIn',
      params: { seconds: 42 },
    });
    expect(explainUnavailable('HELIX_RATE_LIMITED', 'openai is rate limiting requests (429)')).toEqual({ key: 'helix.problem.rateLimited' });
  });

  it('has words for every documented code', () => {
    expect(explainUnavailable('HELIX_DISABLED', 'x').key).toBe('helix.problem.disabled');
    expect(explainUnavailable('HELIX_BUDGET_EXCEEDED', 'x').key).toBe('helix.problem.budget');
    expect(explainUnavailable('HELIX_TIMEOUT', 'x').key).toBe('helix.problem.timeout');
    expect(explainUnavailable('HELIX_UNAVAILABLE', 'x').key).toBe('helix.problem.unavailable');
    expect(explainUnavailable('HELIX_PROVIDER_REJECTED', 'x').key).toBe('helix.problem.rejected');
    expect(explainUnavailable('HELIX_BAD_OUTPUT', 'x').key).toBe('helix.problem.badOutput');
    expect(explainUnavailable('BAD_INPUT', 'input.question: is required')).toEqual({
      key: 'helix.problem.badInput',
      params: { message: 'input.question: is required' },
    });
  });

  it('names an unknown code with its message', () => {
    expect(explainUnavailable('INTERNAL', null)).toEqual({ key: 'helix.problem.other', params: { code: 'INTERNAL', message: 'INTERNAL' } });
  });
});

describe('retrySeconds', () => {
  it('reads seconds, rounded up, at least one', () => {
    expect(retrySeconds('retry in 3 s')).toBe(3);
    expect(retrySeconds('Retry after 2.2 seconds')).toBe(3);
    expect(retrySeconds('retry in 0 s')).toBe(1);
    expect(retrySeconds('busy')).toBeNull();
    expect(retrySeconds(undefined)).toBeNull();
  });
});

describe('streaming', () => {
  const run = (text: string, status: string) => ({ text, status, id: '7' });

  it('appends deltas as they come, then takes the finished run’s text', () => {
    let state = startStream(run('', 'running'));
    expect(state).toMatchObject({ text: '', status: 'running', chunks: 0 });
    state = applyStreamEvent(state, { delta: 'Mock ', status: 'running', run: run('Mock ', 'running') });
    state = applyStreamEvent(state, { delta: 'answer', status: 'running', run: run('Mock answer', 'running') });
    expect(state).toMatchObject({ text: 'Mock answer', status: 'running', chunks: 2 });
    state = applyStreamEvent(state, { delta: '.', status: 'done', run: run('Mock answer, for 5YJ3E7EB2NF000001.', 'done') });
    expect(state).toMatchObject({ text: 'Mock answer, for 5YJ3E7EB2NF000001.', status: 'done', chunks: 3 });
  });

  it('takes nothing after the run ended', () => {
    const done = startStream(run('All of it', 'done'));
    expect(applyStreamEvent(done, { delta: 'more', status: 'running', run: run('x', 'running') })).toBe(done);
  });

  it('keeps what it put together when a failed run has no text', () => {
    let state = startStream(run('', 'running'));
    state = applyStreamEvent(state, { delta: 'Half', status: 'running', run: run('Half', 'running') });
    state = applyStreamEvent(state, { delta: '', status: 'failed', run: run('', 'failed') });
    expect(state).toMatchObject({ text: 'Half', status: 'failed', chunks: 1 });
  });
});

describe('answerSegments', () => {
  const text = 'You drove 42 km. It rained. You drove 42 km.';

  it('marks every place a flagged sentence is in the text', () => {
    expect(answerSegments(text, ['You drove 42 km.'])).toEqual([
      { text: 'You drove 42 km.', unsupported: true },
      { text: ' It rained. ', unsupported: false },
      { text: 'You drove 42 km.', unsupported: true },
    ]);
  });

  it('gives the whole text unmarked without flags, and ignores overlaps and blanks', () => {
    expect(answerSegments(text, [])).toEqual([{ text, unsupported: false }]);
    expect(answerSegments('abc def', ['abc def', 'def', ' '])).toEqual([{ text: 'abc def', unsupported: true }]);
    expect(answerSegments('', ['x'])).toEqual([]);
  });

  it('lists flagged sentences the text does not hold', () => {
    expect(unplacedSentences(text, ['It rained.', 'It snowed.'])).toEqual(['It snowed.']);
  });
});

describe('snippetParts', () => {
  it('splits the matched words out', () => {
    expect(snippetParts('an «export» is «created» here')).toEqual([
      { text: 'an ', match: false },
      { text: 'export', match: true },
      { text: ' is ', match: false },
      { text: 'created', match: true },
      { text: ' here', match: false },
    ]);
    expect(snippetParts('plain')).toEqual([{ text: 'plain', match: false }]);
  });
});

describe('citationHref', () => {
  it('links a page and its section on the documentation site', () => {
    expect(citationHref({ path: 'operations.md', anchor: 'workers' }, 'https://docs.example.org')).toBe('https://docs.example.org/operations/#workers');
    expect(citationHref({ path: 'index.md', anchor: '' }, 'https://docs.example.org/')).toBe('https://docs.example.org/');
    expect(citationHref({ path: 'guide/index.md', anchor: 'a b' }, '/docs')).toBe('/docs/guide/#a%20b');
  });

  it('gives no link without an address', () => {
    expect(citationHref({ path: 'operations.md', anchor: 'x' }, '')).toBeNull();
    expect(citationHref({ path: 'operations.md', anchor: 'x' }, undefined)).toBeNull();
  });
});

describe('canAdminister', () => {
  it('needs the admin scope and an administrator', () => {
    expect(canAdminister({ credential: 'token:1', scopes: ['READ', 'COMMAND', 'ADMIN'], user: { isAdmin: true } })).toBe(true);
    expect(canAdminister({ credential: 'token:2', scopes: ['READ'], user: { isAdmin: true } })).toBe(false);
    expect(canAdminister({ credential: 'token:3', scopes: ['READ', 'ADMIN'], user: { isAdmin: false } })).toBe(false);
    expect(canAdminister({ credential: 'anonymous', scopes: ['READ', 'COMMAND', 'ADMIN'], user: null })).toBe(true);
    expect(canAdminister({ credential: 'user', scopes: ['ADMIN'], user: null })).toBe(false);
    expect(canAdminister(null)).toBe(false);
  });
});

describe('parseBudget', () => {
  it('clears when empty, takes zero or more, refuses the rest', () => {
    expect(parseBudget(' ')).toEqual({ ok: true, clear: true });
    expect(parseBudget('5')).toEqual({ ok: true, clear: false, value: '5' });
    expect(parseBudget('2,5')).toEqual({ ok: true, clear: false, value: '2.5' });
    expect(parseBudget('0')).toEqual({ ok: true, clear: false, value: '0' });
    expect(parseBudget('-1')).toEqual({ ok: false, error: { key: 'validation.min', params: { min: 0 } } });
    expect(parseBudget('lots')).toEqual({ ok: false, error: { key: 'validation.number' } });
  });
});

describe('spentPercent', () => {
  it('is the share of the budget spent', () => {
    expect(spentPercent(2.5, 10)).toBe(25);
    expect(spentPercent(12, 10)).toBe(120);
    expect(spentPercent(1, null)).toBeNull();
    expect(spentPercent(0, 0)).toBe(0);
    expect(spentPercent(0.1, 0)).toBe(100);
  });
});
