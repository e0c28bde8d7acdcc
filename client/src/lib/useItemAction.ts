// An action on one item of a list beside a form (revoke a token, disconnect an account) whose mutation
// answers nothing to show but its request's error: the item it runs on, and that error, which stands where
// the form's request error is shown.

import { useCallback, useState } from 'react';
import type { CombinedError } from 'urql';

export interface ItemAction {
  /** The id of the item whose request is running. */
  busy: string | null;
  /** Null until the action runs; then its request's error (or null), shown in place of the form's. */
  last: { error: CombinedError | null } | null;
  /** Runs on the item, then `after` (e.g. the list fetched again), whatever the answer. */
  run: (id: string) => Promise<void>;
  /** The form's next attempt: its own request error is shown again. */
  reset: () => void;
}

export function useItemAction(act: (id: string) => Promise<{ error?: CombinedError }>, after: () => void): ItemAction {
  const [busy, setBusy] = useState<string | null>(null);
  const [last, setLast] = useState<{ error: CombinedError | null } | null>(null);
  const run = async (id: string) => {
    setBusy(id);
    setLast({ error: null });
    const result = await act(id);
    setBusy(null);
    if (result.error) setLast({ error: result.error });
    after();
  };
  const reset = useCallback(() => setLast(null), []);
  return { busy, last, run, reset };
}
