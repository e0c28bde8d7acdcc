import { useMemo } from 'react';
import { Link, useParams } from 'react-router';
import { useQuery } from 'urql';
import { graphql } from '../gql';
import { HelixSlot } from '../helix/HelixSlot';
import type { UnitSystem } from '../gql/graphql';
import { useFormat, useSettings, useT } from '../lib/context';
import { formatDistance, formatDuration, formatQuantity } from '../lib/format';
import { ApiError } from '../ui/ApiError';
import { Badge } from '../ui/Badge';
import { Card } from '../ui/Card';
import { CarNav } from '../ui/CarNav';
import { PageHeader } from '../ui/Layout';
import { Loading } from '../ui/Notice';
import { SeriesChart } from '../ui/SeriesChart';
import { Stat, StatList } from '../ui/Stat';
import { TrackView } from '../ui/map/TrackView';

const DriveQuery = graphql(`
  query DriveDetail($vin: String!, $id: ID!, $units: UnitSystem!) {
    vehicle(vin: $vin) {
      vin
      displayName
    }
    drive(id: $id) {
      id
      startedAt
      endedAt
      distanceKm
      durationSeconds
      energyUsedKwh
      consumption(units: $units)
      averageSpeed(units: METRIC)
      startBatteryLevel
      endBatteryLevel
      maxSpeedKmh
      outsideTempAvgC
      track {
        at
        latitude
        longitude
      }
    }
  }
`);

const DriveSeriesQuery = graphql(`
  query DriveSeries($vin: String!, $since: DateTime!, $until: DateTime!, $units: UnitSystem!) {
    vehicle(vin: $vin) {
      vin
      series(names: ["VehicleSpeed", "BatteryLevel"], since: $since, until: $until, maxPoints: 300, units: $units) {
        name
        unit
        bucketSeconds
        columns {
          at
          mean
        }
      }
    }
  }
`);

export default function Drive() {
  const { vin = '', id = '' } = useParams();
  const t = useT();
  const format = useFormat();
  const { settings } = useSettings();
  const units: UnitSystem = settings.units.distance === 'mi' ? 'IMPERIAL' : 'METRIC';
  const [{ data, fetching, error }, refetch] = useQuery({ query: DriveQuery, variables: { vin, id, units } });
  const drive = data?.drive ?? null;
  const seriesVariables = useMemo(
    () => (drive ? { vin, since: drive.startedAt, until: drive.endedAt ?? new Date().toISOString(), units } : null),
    [vin, drive?.startedAt, drive?.endedAt, units],
  );
  const [series] = useQuery({
    query: DriveSeriesQuery,
    variables: seriesVariables ?? { vin, since: '', until: '', units },
    pause: !seriesVariables,
  });

  const name = data?.vehicle?.displayName || vin;
  const title = drive ? t('drive.title', { time: format.dateTime(drive.startedAt) }) : t('drive.titleUnknown');
  const none = t('car.noValue');
  const back = (
    <Link to={`/cars/${vin}/drives`} className="text-sm underline">
      {t('drive.back')}
    </Link>
  );
  if (!drive) {
    return (
      <>
        <PageHeader title={title}>{back}</PageHeader>
        <CarNav vin={vin} />
        {error && <ApiError error={error} retry={() => refetch({ requestPolicy: 'network-only' })} />}
        {fetching && <Loading label={t('app.loading')} />}
        {!fetching && !error && <p>{t('drive.notFound')}</p>}
      </>
    );
  }
  const speed = series.data?.vehicle?.series.find((s) => s.name === 'VehicleSpeed');
  const battery = series.data?.vehicle?.series.find((s) => s.name === 'BatteryLevel');
  const pct = (v: number | null | undefined) => (v == null ? none : formatQuantity(v, '%', settings.locale, 0));
  return (
    <>
      <PageHeader title={title}>
        {!drive.endedAt && <Badge tone="info">{t('drives.inProgress')}</Badge>}
        {back}
      </PageHeader>
      <CarNav vin={vin} />
      <p className="mb-4 text-sm text-slate-600 dark:text-slate-400">
        {name} · <time dateTime={drive.startedAt}>{format.dateTime(drive.startedAt)}</time>
        {drive.endedAt && (
          <>
            {' – '}
            <time dateTime={drive.endedAt}>{format.time(drive.endedAt)}</time>
          </>
        )}
      </p>
      <div className="grid gap-4 lg:grid-cols-2">
        <Card title={t('drive.figures')}>
          <StatList>
            <Stat label={t('drives.distance')} value={formatDistance(drive.distanceKm, settings.locale, settings.units)} signal="distance" />
            <Stat label={t('drives.duration')} value={drive.durationSeconds == null ? none : formatDuration(drive.durationSeconds, settings.locale)} />
            <Stat label={t('drive.energy')} value={drive.energyUsedKwh == null ? none : formatQuantity(drive.energyUsedKwh, 'kWh', settings.locale)} />
            <Stat
              label={t('drives.consumption')}
              value={drive.consumption == null ? none : formatQuantity(drive.consumption, units === 'IMPERIAL' ? 'Wh/mi' : 'Wh/km', settings.locale, 0)}
            />
            <Stat label={t('drive.batteryStart')} value={pct(drive.startBatteryLevel)} />
            <Stat label={t('drive.batteryEnd')} value={pct(drive.endBatteryLevel)} />
            <Stat label={t('drive.maxSpeed')} value={drive.maxSpeedKmh == null ? none : format.measure(drive.maxSpeedKmh, 'km/h')} />
            <Stat label={t('drive.averageSpeed')} value={drive.averageSpeed == null ? none : format.measure(drive.averageSpeed, 'km/h')} />
            <Stat label={t('drive.outsideTemp')} value={drive.outsideTempAvgC == null ? none : format.measure(drive.outsideTempAvgC, '°C')} />
          </StatList>
        </Card>
        <Card title={t('drive.track')}>
          {drive.track.length > 0 ? (
            <TrackView id={drive.id} track={drive.track} label={t('drive.trackLabel', { count: drive.track.length })} />
          ) : (
            <p className="text-sm text-slate-600 dark:text-slate-400">{t('drive.noTrack')}</p>
          )}
        </Card>
        <Card title={t('signal.VehicleSpeed')}>
          {series.error && <ApiError error={series.error} />}
          {speed ? <SeriesChart series={speed} label={t('drive.speedChart')} yMin={0} /> : series.fetching && <Loading label={t('app.loading')} />}
        </Card>
        <Card title={t('signal.BatteryLevel')}>
          {battery ? <SeriesChart series={battery} label={t('drive.batteryChart')} /> : series.fetching && <Loading label={t('app.loading')} />}
        </Card>
      </div>
      <HelixSlot
        features={[
          { name: 'drive_summary', action: t('helix.action.drive_summary') },
          { name: 'efficiency_explanation', action: t('helix.action.efficiency_explanation') },
        ]}
        fixed={{ vin, driveId: drive.id }}
      />
    </>
  );
}
