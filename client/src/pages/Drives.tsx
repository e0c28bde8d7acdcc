import { useEffect, useMemo } from 'react';
import { Link, useParams } from 'react-router';
import { useQuery, useSubscription } from 'urql';
import { graphql } from '../gql';
import type { UnitSystem } from '../gql/graphql';
import { onReconnect } from '../lib/api';
import { SessionsSubscription } from '../lib/sessions';
import { useFormat, useSettings, useT } from '../lib/context';
import { formatDistance, formatDuration, formatQuantity } from '../lib/format';
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

const PAGE_SIZE = 20;

const DrivesQuery = graphql(`
  query DrivesPage($vin: String!, $first: Int!, $after: String, $since: DateTime, $until: DateTime, $units: UnitSystem!) {
    vehicle(vin: $vin) {
      vin
      displayName
      drives(first: $first, after: $after, since: $since, until: $until) {
        edges {
          cursor
          node {
            id
            startedAt
            endedAt
            distanceKm
            durationSeconds
            energyUsedKwh
            consumption(units: $units)
            startBatteryLevel
            endBatteryLevel
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

export default function Drives() {
  const { vin = '' } = useParams();
  const t = useT();
  const format = useFormat();
  const { settings } = useSettings();
  const paging = usePagedList(settings.timeZone);
  const units: UnitSystem = settings.units.distance === 'mi' ? 'IMPERIAL' : 'METRIC';
  const variables = useMemo(
    () => ({ vin, first: PAGE_SIZE, after: paging.after, since: paging.since, until: paging.until, units }),
    [vin, paging.after, paging.since, paging.until, units],
  );
  const [{ data, fetching, error }, refetch] = useQuery({ query: DrivesQuery, variables });
  // a drive that opens or closes shows at once (on the first page, where the newest are)
  const [event] = useSubscription({ query: SessionsSubscription, variables: { vin } });
  useEffect(() => {
    if (event.data?.sessions.kind === 'DRIVE') refetch({ requestPolicy: 'network-only' });
  }, [event.data, refetch]);
  useEffect(() => onReconnect(() => refetch({ requestPolicy: 'network-only' })), [refetch]);

  const vehicle = data?.vehicle;
  const name = vehicle?.displayName || vin;
  const drives = vehicle?.drives.edges ?? [];
  const consumptionUnit = units === 'IMPERIAL' ? 'Wh/mi' : 'Wh/km';
  return (
    <>
      <PageHeader title={t('drives.title', { name })} />
      <CarNav vin={vin} />
      <DateRangeFilter value={paging.range} onChange={paging.setRange} />
      {error && <ApiError error={error} retry={() => refetch({ requestPolicy: 'network-only' })} />}
      {!data && fetching && <Loading label={t('app.loading')} />}
      {data && !vehicle && <p>{t('errors.notFound')}</p>}
      {vehicle && drives.length === 0 && <p className="text-slate-700 dark:text-slate-300">{t('drives.empty')}</p>}
      <ul className="grid gap-3" aria-label={t('drives.list')}>
        {drives.map(({ node: drive }) => (
          <li key={drive.id} data-drive-id={drive.id}>
            <Card
              level={2}
              title={
                <Link
                  to={`/cars/${vin}/drives/${encodeURIComponent(drive.id)}`}
                  className="underline-offset-2 hover:underline"
                >
                  <time dateTime={drive.startedAt}>{format.dateTime(drive.startedAt)}</time>
                </Link>
              }
              actions={!drive.endedAt && <Badge tone="info">{t('drives.inProgress')}</Badge>}
            >
              <StatList className="sm:grid-cols-4">
                <Stat label={t('drives.distance')} value={formatDistance(drive.distanceKm, settings.locale, settings.units)} />
                <Stat label={t('drives.duration')} value={drive.durationSeconds == null ? t('car.noValue') : formatDuration(drive.durationSeconds, settings.locale)} />
                <Stat
                  label={t('drives.battery')}
                  value={
                    drive.startBatteryLevel == null || drive.endBatteryLevel == null
                      ? t('car.noValue')
                      : `${formatQuantity(drive.startBatteryLevel, '%', settings.locale, 0)} → ${formatQuantity(drive.endBatteryLevel, '%', settings.locale, 0)}`
                  }
                />
                <Stat
                  label={t('drives.consumption')}
                  value={drive.consumption == null ? t('car.noValue') : formatQuantity(drive.consumption, consumptionUnit, settings.locale, 0)}
                />
              </StatList>
            </Card>
          </li>
        ))}
      </ul>
      <Pager
        page={paging.page}
        hasPrevious={paging.hasPrevious}
        hasNext={vehicle?.drives.pageInfo.hasNextPage ?? false}
        onPrevious={paging.previous}
        onNext={() => paging.next(vehicle?.drives.pageInfo.endCursor)}
      />
    </>
  );
}
