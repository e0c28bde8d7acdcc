import type { CombinedError } from 'urql';
import { ApiError } from './ApiError';
import { Notice } from './Notice';

/** Above a form's buttons: the API's problems of no field (a titled list) and the request's error. */
export function FormProblems({ title, other, failure }: { title: string; other: readonly string[]; failure?: CombinedError | null }) {
  return (
    <>
      {other.length > 0 && (
        <Notice tone="error" title={title}>
          <ul>
            {other.map((p) => (
              <li key={p}>{p}</li>
            ))}
          </ul>
        </Notice>
      )}
      {failure && <ApiError error={failure} />}
    </>
  );
}

/** An action's problem (a line of the API's problems) and its request's error. */
export function ActionProblems({ problem, failure }: { problem: string | null; failure: CombinedError | null }) {
  return (
    <>
      {failure && <ApiError error={failure} />}
      {problem && <Notice tone="error">{problem}</Notice>}
    </>
  );
}
