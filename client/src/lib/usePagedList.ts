import { useCallback, useMemo, useState } from 'react';
import { currentCursor, firstPage, nextPage, pageNumber, previousPage, type CursorStack } from './paging';
import { dateRange } from './paging';
import type { DateRangeValue } from '../ui/DateRangeFilter';

/** Cursor paging and a date filter for a list page; a new filter starts at the first page. */
export function usePagedList(timeZone: string) {
  const [stack, setStack] = useState<CursorStack>(firstPage);
  const [range, setRangeState] = useState<DateRangeValue>({ from: '', to: '' });
  const setRange = useCallback((next: DateRangeValue) => {
    setRangeState(next);
    setStack(firstPage);
  }, []);
  const { since, until } = useMemo(() => dateRange(range.from, range.to, timeZone), [range, timeZone]);
  return {
    after: currentCursor(stack),
    since,
    until,
    range,
    setRange,
    page: pageNumber(stack),
    hasPrevious: stack.length > 1,
    next: (endCursor: string | null | undefined) => setStack((s) => nextPage(s, endCursor)),
    previous: () => setStack((s) => previousPage(s)),
  };
}
