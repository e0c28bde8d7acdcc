// A form's problems: its own checks and the API's answer to its mutation, beside the fields they are about
// (the rest listed above the buttons), the request's error when it failed, focus on the first field in error.
// What it shows is decided by lib/problems.ts; <FormProblems> (ui/) shows the list and the error.

import { useCallback, useRef, useState, type RefObject } from 'react';
import type { CombinedError } from 'urql';
import { graphql } from '../gql';
import { mutationOutcome, problemsText, splitProblems, type Problem } from './problems';

// What every mutation's `errors` select: `errors { ...MutationProblemFields }` (fragment masking is off in
// codegen.ts, so the fields are read directly).
graphql(`
  fragment MutationProblemFields on MutationProblem {
    __typename
    ... on InvalidInput {
      field
      message
    }
    ... on NotFoundProblem {
      field
      message
    }
  }
`);

/** Focus on the first field in error (or a group marked data-invalid), once it is drawn. */
export function focusFirstInvalid(root: HTMLElement | null): void {
  setTimeout(() => root?.querySelector<HTMLElement>('[aria-invalid="true"], [data-invalid]')?.focus(), 0);
}

export interface FormProblems {
  /** Put on the <form>: where the first field in error is looked for. */
  form: RefObject<HTMLFormElement>;
  /** Messages beside their fields, by field name. */
  errors: Record<string, string>;
  /** The API's problems of no field of the form. */
  other: string[];
  /** The request's error (network, RATE_LIMITED, ...), or a result without an answer. */
  failure: CombinedError | null;
  setErrors: (errors: Record<string, string>) => void;
  /** Before an attempt: nothing shown but the fields' messages, which `check` replaces. */
  clear: () => void;
  /** The form's own checks (translated): shown, and focus on the first when `ok` is false. */
  check: (errors: Record<string, string>, ok: boolean) => boolean;
  /**
   * A mutation's result: its payload when the API did it, else null with why shown (the request's error,
   * or the payload's problems beside the `known` fields, focus on the first).
   */
  answer: <D, P extends { errors: readonly Problem[] }>(
    result: { data?: D | null; error?: CombinedError },
    pick: (data: D) => P | null | undefined,
    known: readonly string[],
  ) => P | null;
}

export function useFormProblems(): FormProblems {
  const form = useRef<HTMLFormElement>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [other, setOther] = useState<string[]>([]);
  const [failure, setFailure] = useState<CombinedError | null>(null);
  const clear = useCallback(() => {
    setOther([]);
    setFailure(null);
  }, []);
  const check = useCallback((next: Record<string, string>, ok: boolean) => {
    setErrors(next);
    if (!ok) focusFirstInvalid(form.current);
    return ok;
  }, []);
  const answer = useCallback(
    <D, P extends { errors: readonly Problem[] }>(result: { data?: D | null; error?: CombinedError }, pick: (data: D) => P | null | undefined, known: readonly string[]) => {
      const outcome = mutationOutcome(result, pick);
      if (outcome.error) {
        setFailure(outcome.error);
        return null;
      }
      const payload = outcome.payload;
      if (payload.errors.length) {
        const split = splitProblems(payload.errors, known);
        setErrors(split.fields);
        setOther(split.other);
        focusFirstInvalid(form.current);
        return null;
      }
      setErrors({});
      return payload;
    },
    [],
  );
  return { form, errors, other, failure, setErrors, clear, check, answer };
}

export interface ActionProblems {
  /** The request's error, or a result without an answer. */
  failure: CombinedError | null;
  /** The payload's problems in one line. */
  problem: string | null;
  clear: () => void;
  /** A problem in words of the caller's (e.g. "not deleted" when the API says nothing more). */
  say: (problem: string) => void;
  /** A mutation's result: its payload when the API did it, else null with why shown. */
  settle: <D, P extends { errors: readonly Problem[] }>(
    result: { data?: D | null; error?: CombinedError },
    pick: (data: D) => P | null | undefined,
    options?: { withField?: boolean },
  ) => P | null;
}

/** The problems of an action that is not a form (delete, turn on, send a test): one notice, never silence. */
export function useActionProblems(): ActionProblems {
  const [failure, setFailure] = useState<CombinedError | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const clear = useCallback(() => {
    setFailure(null);
    setProblem(null);
  }, []);
  const settle = useCallback(
    <D, P extends { errors: readonly Problem[] }>(result: { data?: D | null; error?: CombinedError }, pick: (data: D) => P | null | undefined, options: { withField?: boolean } = {}) => {
    const outcome = mutationOutcome(result, pick);
    setFailure(outcome.error);
    if (outcome.error) return null;
    const text = problemsText(outcome.payload.errors, options);
    setProblem(text || null);
    return text ? null : outcome.payload;
    },
    [],
  );
  return { failure, problem, clear, say: setProblem, settle };
}
