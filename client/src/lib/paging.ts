// Cursor paging over the API's connections (newest first, `after: endCursor` for the next page), and the
// date-range filter turned into the `since`/`until` instants the API takes.

/** The cursors of the pages visited: the last one is the current page's `after` (null: the first page). */
export type CursorStack = readonly (string | null)[];

export const firstPage: CursorStack = [null];

export function currentCursor(stack: CursorStack): string | null {
  return stack[stack.length - 1] ?? null;
}

export function nextPage(stack: CursorStack, endCursor: string | null | undefined): CursorStack {
  return endCursor ? [...stack, endCursor] : stack;
}

export function previousPage(stack: CursorStack): CursorStack {
  return stack.length > 1 ? stack.slice(0, -1) : stack;
}

/** 1-based page number. */
export function pageNumber(stack: CursorStack): number {
  return stack.length;
}

/** The offset of `timeZone` from UTC at `instant`, in minutes (Berlin in summer: 120). */
export function zoneOffsetMinutes(instant: Date, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  }).formatToParts(instant);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return Math.round((asUtc - Math.floor(instant.getTime() / 1000) * 1000) / 60000);
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Midnight starting the day `date` ("2026-11-28") in `timeZone`, as an instant; null for no valid date. */
export function startOfDay(date: string, timeZone: string): Date | null {
  const match = DATE.exec(date);
  if (!match) return null;
  const [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const guess = Date.UTC(y, m - 1, d);
  if (new Date(guess).getUTCDate() !== d) return null;
  // twice: the offset at the guess may differ from the offset at the result (a DST change that day)
  let instant = guess - zoneOffsetMinutes(new Date(guess), timeZone) * 60000;
  instant = guess - zoneOffsetMinutes(new Date(instant), timeZone) * 60000;
  return new Date(instant);
}

/** The day after "2026-11-28": "2026-11-29". */
export function nextDay(date: string): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

/** Today (or `days` before it) in `timeZone`, as "YYYY-MM-DD". */
export function localDate(now: Date, timeZone: string, days = 0): string {
  const shifted = new Date(now.getTime() - days * 86_400_000);
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(shifted);
}

export interface Range {
  since: string | null;
  until: string | null;
}

/** Dates from the filter (either may be empty), each whole day included, as API instants. */
export function dateRange(from: string, to: string, timeZone: string): Range {
  const since = from ? startOfDay(from, timeZone) : null;
  const until = to && DATE.test(to) ? startOfDay(nextDay(to), timeZone) : null;
  return { since: since?.toISOString() ?? null, until: until?.toISOString() ?? null };
}
