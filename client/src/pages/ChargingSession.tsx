import { Link, useParams } from 'react-router';
import { useQuery } from 'urql';
import { graphql } from '../gql';
import { HelixSlot } from '../helix/HelixSlot';
import { extent } from '../lib/chart';
import { useFormat, useSettings, useT } from '../lib/context';
import { formatDuration, formatQuantity } from '../lib/format';
import { ApiError } from '../ui/ApiError';
import { Badge } from '../ui/Badge';
import { Card } from '../ui/Card';
import { CarNav } from '../ui/CarNav';
import { PageHeader } from '../ui/Layout';
import { LineChart } from '../ui/LineChart';
import { Loading } from '../ui/Notice';
import { PositionMap } from '../ui/map/PositionMap';
import { Stat, StatList } from '../ui/Stat';

const SessionQuery = graphql(`
  query ChargingSessionDetail($vin: String!, $id: ID!) {
    vehicle(vin: $vin) {
      vin
      displayName
    }
    chargingSession(id: $id) {
      id
      startedAt
      endedAt
      chargerType
      energyAddedKwh
      energyFromWallKwh
      maxPowerKw
      startBatteryLevel
      endBatteryLevel
      latitude
      longitude
      geofence {
        name
        latitude
        longitude
        radiusM
      }
      cost {
        amount
        currency
        breakdown {
          label
          amount
        }
      }
      curve {
        at
        batteryLevel
        powerKw
      }
    }
  }
`);

export default function ChargingSession() {
  const { vin = '', id = '' } = useParams();
  const t = useT();
  const format = useFormat();
  const { settings } = useSettings();
  const [{ data, fetching, error }, refetch] = useQuery({ query: SessionQuery, variables: { vin, id } });
  const session = data?.chargingSession ?? null;
  const title = session ? t('session.title', { time: format.dateTime(session.startedAt) }) : t('session.titleUnknown');
  const none = t('car.noValue');
  const back = (
    <Link to={`/cars/${vin}/charging`} className="text-sm underline">
      {t('session.back')}
    </Link>
  );
  if (!session) {
    return (
      <>
        <PageHeader title={title}>{back}</PageHeader>
        <CarNav vin={vin} />
        {error && <ApiError error={error} retry={() => refetch({ requestPolicy: 'network-only' })} />}
        {fetching && <Loading label={t('app.loading')} />}
        {!fetching && !error && <p>{t('session.notFound')}</p>}
      </>
    );
  }
  const pct = (v: number | null | undefined) => (v == null ? none : formatQuantity(v, '%', settings.locale, 0));
  // power over battery level when every point has one, else over time
  const levels = extent(session.curve.map((p) => p.batteryLevel ?? NaN));
  const byLevel = session.curve.every((p) => p.batteryLevel != null) && levels !== null && levels[1] - levels[0] >= 2;
  const points = session.curve.map((p) => ({ x: byLevel ? (p.batteryLevel as number) : Date.parse(p.at), y: p.powerKw }));
  const formatX = (x: number) => (byLevel ? formatQuantity(x, '%', settings.locale, 0) : format.time(new Date(x).toISOString()));
  const kw = (v: number) => formatQuantity(v, 'kW', settings.locale);
  const power = extent(points.map((p) => p.y));
  const duration = session.endedAt ? (Date.parse(session.endedAt) - Date.parse(session.startedAt)) / 1000 : null;
  const cost = session.cost ? format.money(session.cost.amount, session.cost.currency) : null;
  return (
    <>
      <PageHeader title={title}>
        <Badge>{session.chargerType}</Badge>
        {!session.endedAt && <Badge tone="info">{t('charging.inProgress')}</Badge>}
        {back}
      </PageHeader>
      <CarNav vin={vin} />
      <div className="grid gap-4 lg:grid-cols-2">
        <Card title={t('drive.figures')}>
          <StatList>
            <Stat label={t('charging.energy')} value={session.energyAddedKwh == null ? none : formatQuantity(session.energyAddedKwh, 'kWh', settings.locale)} />
            <Stat label={t('session.fromWall')} value={session.energyFromWallKwh == null ? none : formatQuantity(session.energyFromWallKwh, 'kWh', settings.locale)} />
            <Stat label={t('drives.duration')} value={duration == null ? none : formatDuration(duration, settings.locale)} />
            <Stat label={t('drive.batteryStart')} value={pct(session.startBatteryLevel)} />
            <Stat label={t('drive.batteryEnd')} value={pct(session.endBatteryLevel)} />
            <Stat label={t('charging.maxPower')} value={session.maxPowerKw == null ? none : kw(session.maxPowerKw)} />
            <Stat label={t('session.place')} value={session.geofence?.name ?? none} />
            <Stat label={t('charging.cost')} value={cost ?? t('charging.costUnknown')} signal="cost" />
          </StatList>
          {session.cost && session.cost.breakdown.length > 0 && (
            <ul className="mt-3 space-y-1 text-sm" aria-label={t('session.breakdown')}>
              {session.cost.breakdown.map((part, i) => (
                <li key={i} className="flex justify-between gap-2">
                  <span>{part.label}</span>
                  <span className="tabular-nums">{format.money(part.amount, session.cost!.currency) ?? t('charging.costUnknown')}</span>
                </li>
              ))}
            </ul>
          )}
        </Card>
        <Card title={t('session.curve')}>
          {points.length > 0 && power ? (
            <LineChart
              label={byLevel ? t('session.curveByLevel') : t('session.curveByTime')}
              summary={t('session.curveSummary', { min: kw(power[0]), max: kw(power[1]), from: formatX(points[0]!.x), to: formatX(points[points.length - 1]!.x) })}
              points={byLevel ? [...points].sort((a, b) => a.x - b.x) : points}
              formatX={formatX}
              formatY={(v) => formatQuantity(v, 'kW', settings.locale, 0)}
              yMin={0}
              testId="charging-curve"
            />
          ) : (
            <p className="text-sm text-slate-600 dark:text-slate-400">{t('chart.noData')}</p>
          )}
        </Card>
        {session.latitude != null && session.longitude != null && (
          <Card title={t('session.place')} className="lg:col-span-2">
            <PositionMap
              label={t('map.sessionLabel')}
              position={{ latitude: session.latitude, longitude: session.longitude }}
              place={session.geofence}
              testId="session-map"
            />
          </Card>
        )}
      </div>
      <HelixSlot
        features={[
          { name: 'charging_summary', action: t('helix.action.charging_summary') },
          { name: 'cost_outlier', action: t('helix.action.cost_outlier') },
        ]}
        fixed={{ vin, sessionId: session.id }}
      />
    </>
  );
}
