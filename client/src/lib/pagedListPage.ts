// A car's paged list page (drives, charging sessions): its query, paged by cursor and filtered by date,
// read again when a session event changes the list and after a reconnect. ui/PagedListControls.tsx draws
// the filter, the list's states and the pager around the page's own items.

import { useCallback, useEffect } from 'react';
import { useQuery, useSubscription, type AnyVariables, type CombinedError, type TypedDocumentNode } from 'urql';
import type { SessionEventsSubscription } from '../gql/graphql';
import { onReconnect } from './api';
import { useSettings } from './context';
import { SessionsSubscription } from './sessions';
import { usePagedList } from './usePagedList';

export const PAGE_SIZE = 20;

export type SessionEvent = SessionEventsSubscription['sessions'];

/** The variables of every list page's query; a page adds its own. */
export interface PageVariables {
  vin: string;
  first: number;
  after: string | null;
  since: string | null;
  until: string | null;
}

export interface Connection<Node> {
  edges: readonly { node: Node }[];
  pageInfo: { hasNextPage: boolean; endCursor?: string | null | undefined };
}

/** What shows under the filter besides an error: one notice, or none (the list). */
export type ListNotice = 'loading' | 'notFound' | 'empty' | null;

/** Loading only before the first answer (a refetch keeps the list shown), then the car or its list missing. */
export function listNotice(answered: boolean, fetching: boolean, found: boolean, count: number): ListNotice {
  if (!answered) return fetching ? 'loading' : null;
  if (!found) return 'notFound';
  return count === 0 ? 'empty' : null;
}

/** What <PagedListControls> needs. */
export interface PagedListState {
  paging: ReturnType<typeof usePagedList>;
  error: CombinedError | undefined;
  notice: ListNotice;
  /** Read the page again from the API. */
  refetch: () => void;
  hasNext: boolean;
  next: () => void;
}

export interface PagedListPageOptions<Data extends { vehicle?: object | null }, Variables extends AnyVariables, Node> {
  vin: string;
  query: TypedDocumentNode<Data, Variables>;
  /** The query's variables: the page's, with the query's own added. */
  variables: (page: PageVariables) => Variables;
  /** The list in the vehicle. */
  connection: (vehicle: NonNullable<Data['vehicle']>) => Connection<Node>;
  /** Whether a session event changes the list. A function of the module: an effect depends on it. */
  refetchOn: (event: SessionEvent) => boolean;
}

/** The page's list with its paging, filter and notice; what is its own (query, list, events) comes in. */
export function usePagedListPage<Data extends { vehicle?: object | null }, Variables extends AnyVariables, Node>({
  vin,
  query,
  variables,
  connection,
  refetchOn,
}: PagedListPageOptions<Data, Variables, Node>): PagedListState & { vehicle: Data['vehicle'] | undefined; nodes: Node[] } {
  const { settings } = useSettings();
  const paging = usePagedList(settings.timeZone);
  // urql knows a request by its variables' content: a new object each render is the same request
  const [{ data, fetching, error }, refetchQuery] = useQuery({
    query,
    variables: variables({ vin, first: PAGE_SIZE, after: paging.after, since: paging.since, until: paging.until }),
  });
  const refetch = useCallback(() => refetchQuery({ requestPolicy: 'network-only' }), [refetchQuery]);
  const [event] = useSubscription({ query: SessionsSubscription, variables: { vin } });
  useEffect(() => {
    if (event.data && refetchOn(event.data.sessions)) refetch();
  }, [event.data, refetch, refetchOn]);
  useEffect(() => onReconnect(refetch), [refetch]);

  const vehicle = data?.vehicle;
  const list = vehicle ? connection(vehicle) : undefined;
  const nodes = list?.edges.map((edge) => edge.node) ?? [];
  return {
    vehicle,
    nodes,
    paging,
    error,
    notice: listNotice(Boolean(data), fetching, Boolean(vehicle), nodes.length),
    refetch,
    hasNext: list?.pageInfo.hasNextPage ?? false,
    next: () => paging.next(list?.pageInfo.endCursor),
  };
}
