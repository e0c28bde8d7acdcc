import { describe, expect, it } from 'vitest';
import { CombinedError } from 'urql';
import type { MessageKey } from '../i18n/en';
import { localMessages, mutationOutcome, NO_ANSWER, problemsText, splitProblems } from './problems';

describe('splitProblems', () => {
  it('puts a known field’s problem beside it (the first wins) and lists the rest', () => {
    const split = splitProblems(
      [
        { __typename: 'InvalidInput', field: 'name', message: 'too long' },
        { __typename: 'InvalidInput', field: 'name', message: 'second' },
        { __typename: 'InvalidInput', field: 'windows[3]', message: 'overlaps' },
        { __typename: 'NotFoundProblem', field: null, message: 'no such tariff' },
      ],
      ['name'],
    );
    expect(split.fields).toEqual({ name: 'too long' });
    expect(split.other).toEqual(['windows[3]: overlaps', 'no such tariff']);
  });
});

describe('problemsText', () => {
  const problems = [
    { field: 'events', message: 'empty' },
    { field: null, message: 'not found' },
  ];
  it('joins the messages', () => expect(problemsText(problems)).toBe('empty; not found'));
  it('names the fields when asked', () => expect(problemsText(problems, { withField: true })).toBe('events: empty; not found'));
  it('is empty without problems', () => expect(problemsText([])).toBe(''));
});

describe('localMessages', () => {
  const t = (key: MessageKey, params?: Record<string, string | number>) => `${key}${params ? JSON.stringify(params) : ''}`;
  it('translates a key alone and a key with its values', () => {
    expect(localMessages({ name: 'notifications.optional', radiusM: { key: 'places.radius', params: { max: 5 } } }, t)).toEqual({
      name: 'notifications.optional',
      radiusM: 'places.radius{"max":5}',
    });
  });
});

describe('mutationOutcome', () => {
  type Data = { save: { ok: boolean } | null };
  const pick = (d: Data) => d.save;
  it('gives the payload', () => {
    expect(mutationOutcome<Data, { ok: boolean }>({ data: { save: { ok: true } } }, pick)).toEqual({ payload: { ok: true }, error: null });
  });
  it('gives the request’s error (e.g. RATE_LIMITED) rather than nothing', () => {
    const error = new CombinedError({ graphQLErrors: [{ message: 'too many mutation operations: retry in 2 s', extensions: { code: 'RATE_LIMITED', retryAfter: 2 } }] });
    const outcome = mutationOutcome<Data, { ok: boolean }>({ data: null, error }, pick);
    expect(outcome.payload).toBeNull();
    expect(outcome.error).toBe(error);
  });
  it('turns a result without data or error into an error to show', () => {
    for (const result of [{}, { data: { save: null } }]) {
      const outcome = mutationOutcome<Data, { ok: boolean }>(result, pick);
      expect(outcome.payload).toBeNull();
      expect(outcome.error?.graphQLErrors[0]?.message).toBe(NO_ANSWER);
    }
  });
});
