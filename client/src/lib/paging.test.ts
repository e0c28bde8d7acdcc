import { describe, expect, it } from 'vitest';
import { currentCursor, dateRange, firstPage, localDate, nextDay, nextPage, pageNumber, previousPage, startOfDay } from './paging';

describe('cursor paging', () => {
  it('goes forward with endCursor and back to the previous cursor', () => {
    let stack = firstPage;
    expect(currentCursor(stack)).toBeNull();
    stack = nextPage(stack, 'c1');
    stack = nextPage(stack, 'c2');
    expect(currentCursor(stack)).toBe('c2');
    expect(pageNumber(stack)).toBe(3);
    stack = previousPage(stack);
    expect(currentCursor(stack)).toBe('c1');
    stack = previousPage(previousPage(stack));
    expect(stack).toEqual([null]);
    expect(nextPage(stack, null)).toBe(stack);
  });
});

describe('date ranges', () => {
  it('starts a day at local midnight, DST included', () => {
    expect(startOfDay('2026-01-15', 'Europe/Berlin')?.toISOString()).toBe('2026-01-14T23:00:00.000Z');
    expect(startOfDay('2026-07-15', 'Europe/Berlin')?.toISOString()).toBe('2026-07-14T22:00:00.000Z');
    expect(startOfDay('2026-03-29', 'Europe/Berlin')?.toISOString()).toBe('2026-03-28T23:00:00.000Z');
    expect(startOfDay('2026-07-15', 'America/New_York')?.toISOString()).toBe('2026-07-15T04:00:00.000Z');
    expect(startOfDay('2026-02-30', 'UTC')).toBeNull();
    expect(startOfDay('yesterday', 'UTC')).toBeNull();
  });

  it('includes the whole last day', () => {
    expect(nextDay('2026-12-31')).toBe('2027-01-01');
    expect(dateRange('2026-07-01', '2026-07-02', 'UTC')).toEqual({
      since: '2026-07-01T00:00:00.000Z',
      until: '2026-07-03T00:00:00.000Z',
    });
    expect(dateRange('', '', 'UTC')).toEqual({ since: null, until: null });
  });

  it('gives the local date', () => {
    const late = new Date('2026-07-14T23:30:00Z');
    expect(localDate(late, 'Europe/Berlin')).toBe('2026-07-15');
    expect(localDate(late, 'UTC')).toBe('2026-07-14');
    expect(localDate(late, 'UTC', 30)).toBe('2026-06-14');
  });
});
