// A drive or charging session has no query of its own: the detail page's link carries its start (`at`),
// and the page asks for the records starting around it, then picks the one with the id.

/** The since/until window around a record's start; null for no valid instant. */
export function windowAround(at: string | null, seconds = 1): { since: string; until: string } | null {
  if (!at) return null;
  const t = Date.parse(at);
  if (!Number.isFinite(t)) return null;
  return { since: new Date(t - seconds * 1000).toISOString(), until: new Date(t + seconds * 1000).toISOString() };
}

export function pickById<T extends { id: string; startedAt: string }>(nodes: readonly T[], id: string, at: string | null): T | null {
  return nodes.find((n) => n.id === id) ?? (at ? (nodes.find((n) => Date.parse(n.startedAt) === Date.parse(at)) ?? null) : null);
}
