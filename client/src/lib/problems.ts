// The API's `errors` of a mutation (InvalidInput / NotFoundProblem) split into the fields a form shows and
// the rest, which it lists above its buttons.

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
    const message = p.message ?? '';
    if (p.field && known.includes(p.field)) {
      if (!(p.field in fields)) fields[p.field] = message;
    } else {
      other.push(p.field ? `${p.field}: ${message}` : message);
    }
  }
  return { fields, other };
}
