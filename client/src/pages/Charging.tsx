import { useParams } from 'react-router';
import { graphql } from '../gql';
import { useFormat, useSettings, useT } from '../lib/context';
import { formatQuantity } from '../lib/format';
import { usePagedListPage, type SessionEvent } from '../lib/pagedListPage';
import { Badge } from '../ui/Badge';
import { Card } from '../ui/Card';
import { CarNav } from '../ui/CarNav';
import { PageHeader } from '../ui/Layout';
import { PagedListControls, StartedAtLink } from '../ui/PagedListControls';
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

// not on each update of a charge in progress (OPEN)
const chargingChanged = (event: SessionEvent) => event.kind === 'CHARGING' && event.phase !== 'OPEN';

export default function Charging() {
  const { vin = '' } = useParams();
  const t = useT();
  const format = useFormat();
  const { settings } = useSettings();
  const list = usePagedListPage({
    vin,
    query: ChargingQuery,
    variables: (page) => page,
    connection: (vehicle) => vehicle.chargingSessions,
    refetchOn: chargingChanged,
  });

  const none = t('car.noValue');
  const pct = (v: number | null | undefined) => (v == null ? none : formatQuantity(v, '%', settings.locale, 0));
  return (
    <>
      <PageHeader title={t('charging.title', { name: list.vehicle?.displayName || vin })} />
      <CarNav vin={vin} />
      <PagedListControls list={list} label={t('charging.list')} empty={t('charging.empty')}>
        {list.nodes.map((session) => (
          <li key={session.id} data-session-id={session.id}>
            <Card
              title={<StartedAtLink to={`/cars/${vin}/charging/${encodeURIComponent(session.id)}`} startedAt={session.startedAt} />}
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
      </PagedListControls>
    </>
  );
}
