// The API's answer to a mutation, as a form shows it: a request that failed (its CombinedError), or the
// payload's `errors` (InvalidInput / NotFoundProblem) split into the fields a form shows and the rest, which
// it lists above its buttons; and the form's own checks, translated, beside the same fields.

import { CombinedError } from 'urql';
import type { MessageKey } from '../i18n/en';
import type { Params } from '../i18n/translate';

export interface Problem {
  __typename?: string;
  field?: string | null;
  message: string;
}

/** Problems of known fields go beside them (the first one of a field wins); the rest stay in a list. */
export function splitProblems(problems: readonly Problem[], known: readonly string[]): { fields: Record<string, string>; other: string[] } {
  const fields: Record<string, string> = {};
  const other: string[] = [];
  for (const p of problems) {
    const message = p.message;
    if (p.field && known.includes(p.field)) {
      if (!(p.field in fields)) fields[p.field] = message;
    } else {
      other.push(p.field ? `${p.field}: ${message}` : message);
    }
  }
  return { fields, other };
}

/** Problems in one line ("name: too long; x: unknown"), for a notice that is not beside a field. */
export function problemsText(problems: readonly Problem[], { withField = false } = {}): string {
  return problems.map((p) => (withField && p.field ? `${p.field}: ${p.message}` : p.message)).join('; ');
}

/** A form's own check: a message key (with its values), or the key alone. */
export type LocalError = MessageKey | { key: MessageKey; params?: Params };

/** The form's own checks in words, by field. */
export function localMessages(errors: Readonly<Record<string, LocalError>>, t: (key: MessageKey, params?: Params) => string): Record<string, string> {
  return Object.fromEntries(Object.entries(errors).map(([field, e]) => [field, typeof e === 'string' ? t(e) : t(e.key, e.params)]));
}

/** What a mutation's result comes to: its payload, or why there is none (never nothing to show). */
export type MutationOutcome<P> = { payload: P; error: null } | { payload: null; error: CombinedError };

/** The message of a result that has neither data nor an error (the request ended without an answer). */
export const NO_ANSWER = 'the API sent no answer to this change';

/**
 * The payload of a mutation's result (`pick` finds it in the data), or the request's error. A result with
 * neither becomes an error too, so a form always has something to show and never stops silently.
 */
export function mutationOutcome<D, P>(result: { data?: D | null; error?: CombinedError }, pick: (data: D) => P | null | undefined): MutationOutcome<P> {
  if (result.error) return { payload: null, error: result.error };
  const payload = result.data ? pick(result.data) : null;
  if (payload == null) return { payload: null, error: new CombinedError({ graphQLErrors: [NO_ANSWER] }) };
  return { payload, error: null };
}
