import { useParams } from 'react-router';
import { graphql } from '../gql';
import type { UnitSystem } from '../gql/graphql';
import { useSettings, useT } from '../lib/context';
import { formatDistance, formatDuration, formatQuantity } from '../lib/format';
import { usePagedListPage, type SessionEvent } from '../lib/pagedListPage';
import { Badge } from '../ui/Badge';
import { Card } from '../ui/Card';
import { CarNav } from '../ui/CarNav';
import { PageHeader } from '../ui/Layout';
import { PagedListControls, StartedAtLink } from '../ui/PagedListControls';
import { Stat, StatList } from '../ui/Stat';

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

// a drive that opens or closes shows at once (on the first page, where the newest are)
const driveChanged = (event: SessionEvent) => event.kind === 'DRIVE';

export default function Drives() {
  const { vin = '' } = useParams();
  const t = useT();
  const { settings } = useSettings();
  const units: UnitSystem = settings.units.distance === 'mi' ? 'IMPERIAL' : 'METRIC';
  const list = usePagedListPage({
    vin,
    query: DrivesQuery,
    variables: (page) => ({ ...page, units }),
    connection: (vehicle) => vehicle.drives,
    refetchOn: driveChanged,
  });

  const name = list.vehicle?.displayName || vin;
  const consumptionUnit = units === 'IMPERIAL' ? 'Wh/mi' : 'Wh/km';
  return (
    <>
      <PageHeader title={t('drives.title', { name })} />
      <CarNav vin={vin} />
      <PagedListControls list={list} label={t('drives.list')} empty={t('drives.empty')}>
        {list.nodes.map((drive) => (
          <li key={drive.id} data-drive-id={drive.id}>
            <Card
              level={2}
              title={<StartedAtLink to={`/cars/${vin}/drives/${encodeURIComponent(drive.id)}`} startedAt={drive.startedAt} />}
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
      </PagedListControls>
    </>
  );
}
