// Around a car's paged list (lib/pagedListPage.ts): the date filter, the request's error, the list's notice,
// the list of the page's own items, and the pager.

import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { useFormat, useT } from '../lib/context';
import type { PagedListState } from '../lib/pagedListPage';
import { ApiError } from './ApiError';
import { DateRangeFilter } from './DateRangeFilter';
import { Loading } from './Notice';
import { Pager } from './Pager';

/** `children` are the page's <li> items. */
export function PagedListControls({ list, label, empty, children }: { list: PagedListState; label: string; empty: string; children: ReactNode }) {
  const t = useT();
  const { paging } = list;
  return (
    <>
      <DateRangeFilter value={paging.range} onChange={paging.setRange} />
      {list.error && <ApiError error={list.error} retry={list.refetch} />}
      {list.notice === 'loading' && <Loading label={t('app.loading')} />}
      {list.notice === 'notFound' && <p>{t('errors.notFound')}</p>}
      {list.notice === 'empty' && <p className="text-slate-700 dark:text-slate-300">{empty}</p>}
      <ul className="grid gap-3" aria-label={label}>
        {children}
      </ul>
      <Pager page={paging.page} hasPrevious={paging.hasPrevious} hasNext={list.hasNext} onPrevious={paging.previous} onNext={list.next} />
    </>
  );
}

/** An item's title: when it started, linking to its own page. */
export function StartedAtLink({ to, startedAt }: { to: string; startedAt: string }) {
  const format = useFormat();
  return (
    <Link to={to} className="underline-offset-2 hover:underline">
      <time dateTime={startedAt}>{format.dateTime(startedAt)}</time>
    </Link>
  );
}
