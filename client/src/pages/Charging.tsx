import { useEffect, useMemo } from 'react';
import { Link, useParams } from 'react-router';
import { useQuery, useSubscription } from 'urql';
import { graphql } from '../gql';
import { onReconnect } from '../lib/api';
import { useFormat, useSettings, useT } from '../lib/context';
import { formatQuantity } from '../lib/format';
import { SessionsSubscription } from '../lib/sessions';
import { usePagedList } from '../lib/usePagedList';
import { ApiError } from '../ui/ApiError';
import { Badge } from '../ui/Badge';
import { Card } from '../ui/Card';
import { CarNav } from '../ui/CarNav';
import { DateRangeFilter } from '../ui/DateRangeFilter';
import { PageHeader } from '../ui/Layout';
import { Loading } from '../ui/Notice';
import { Pager } from '../ui/Pager';
import { Stat, StatList } from '../ui/Stat';

const ChargingQuery = graphql(`
  query ChargingPage($vin: String!, $first: Int!, $after: String, $since: DateTime, $until: DateTime) {
    vehicle(vin: $vin) {
      vin
      displayName
      chargingSessions(first: $first, after: $after, since: $since, until: $until) {
        edges {
          cursor
          node {
            id
            startedAt
            endedAt
            chargerType
            energyAddedKwh
            maxPowerKw
            startBatteryLevel
            endBatteryLevel
            cost {
              amount
              currency
            }
          }
        }
        pageInfo {
          hasNextPage
          endCursor
        }
      }
    }
  }
`);

export default function Charging() {
  const { vin = '' } = useParams();
  const t = useT();
  const format = useFormat();
  const { settings } = useSettings();
  const paging = usePagedList(settings.timeZone);
  const variables = useMemo(
    () => ({ vin, first: 20, after: paging.after, since: paging.since, until: paging.until }),
    [vin, paging.after, paging.since, paging.until],
  );
  const [{ data, fetching, error }, refetch] = useQuery({ query: ChargingQuery, variables });
  const [event] = useSubscription({ query: SessionsSubscription, variables: { vin } });
  useEffect(() => {
    if (event.data?.sessions.kind === 'CHARGING' && event.data.sessions.phase !== 'OPEN') refetch({ requestPolicy: 'network-only' });
  }, [event.data, refetch]);
  useEffect(() => onReconnect(() => refetch({ requestPolicy: 'network-only' })), [refetch]);

  const vehicle = data?.vehicle;
  const sessions = vehicle?.chargingSessions.edges ?? [];
  const none = t('car.noValue');
  const pct = (v: number | null | undefined) => (v == null ? none : formatQuantity(v, '%', settings.locale, 0));
  return (
    <>
      <PageHeader title={t('charging.title', { name: vehicle?.displayName || vin })} />
      <CarNav vin={vin} />
      <DateRangeFilter value={paging.range} onChange={paging.setRange} />
      {error && <ApiError error={error} retry={() => refetch({ requestPolicy: 'network-only' })} />}
      {!data && fetching && <Loading label={t('app.loading')} />}
      {data && !vehicle && <p>{t('errors.notFound')}</p>}
      {vehicle && sessions.length === 0 && <p className="text-slate-700 dark:text-slate-300">{t('charging.empty')}</p>}
      <ul className="grid gap-3" aria-label={t('charging.list')}>
        {sessions.map(({ node: session }) => (
          <li key={session.id} data-session-id={session.id}>
            <Card
              title={
                <Link
                  to={`/cars/${vin}/charging/${encodeURIComponent(session.id)}`}
                  className="underline-offset-2 hover:underline"
                >
                  <time dateTime={session.startedAt}>{format.dateTime(session.startedAt)}</time>
                </Link>
              }
              actions={
                <span className="flex gap-2">
                  <Badge>{session.chargerType}</Badge>
                  {!session.endedAt && <Badge tone="info">{t('charging.inProgress')}</Badge>}
                </span>
              }
            >
              <StatList className="sm:grid-cols-4">
                <Stat label={t('charging.energy')} value={session.energyAddedKwh == null ? none : formatQuantity(session.energyAddedKwh, 'kWh', settings.locale)} />
                <Stat label={t('charging.battery')} value={`${pct(session.startBatteryLevel)} → ${pct(session.endBatteryLevel)}`} />
                <Stat label={t('charging.maxPower')} value={session.maxPowerKw == null ? none : formatQuantity(session.maxPowerKw, 'kW', settings.locale)} />
                <Stat label={t('charging.cost')} value={(session.cost && format.money(session.cost.amount, session.cost.currency)) ?? t('charging.costUnknown')} />
              </StatList>
            </Card>
          </li>
        ))}
      </ul>
      <Pager
        page={paging.page}
        hasPrevious={paging.hasPrevious}
        hasNext={vehicle?.chargingSessions.pageInfo.hasNextPage ?? false}
        onPrevious={paging.previous}
        onNext={() => paging.next(vehicle?.chargingSessions.pageInfo.endCursor)}
      />
    </>
  );
}
