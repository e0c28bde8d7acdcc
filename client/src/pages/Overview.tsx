import { useEffect } from 'react';
import { Link } from 'react-router';
import { useQuery } from 'urql';
import { graphql } from '../gql';
import { useFormat, useSettings, useT } from '../lib/context';
import { displaySignal, toSignalMap } from '../lib/signals';
import { ApiError } from '../ui/ApiError';
import { Card } from '../ui/Card';
import { PageHeader } from '../ui/Layout';
import { Loading } from '../ui/Notice';
import { Stat, StatList } from '../ui/Stat';
import { StateBadge, StreamBadge } from '../ui/vehicle';

const FleetQuery = graphql(`
  query Fleet {
    vehicles {
      vin
      displayName
      model
      state
      stateSince
      streamState
      signals(names: ["BatteryLevel", "EstBatteryRange", "Location", "VehicleSpeed"]) {
        name
        value
        unit
        at
      }
    }
  }
`);

const REFRESH_MS = 30_000;

export default function Overview() {
  const t = useT();
  const format = useFormat();
  const { settings } = useSettings();
  const [{ data, fetching, error }, refetch] = useQuery({ query: FleetQuery });

  useEffect(() => {
    const timer = setInterval(() => refetch({ requestPolicy: 'network-only' }), REFRESH_MS);
    return () => clearInterval(timer);
  }, [refetch]);

  const vehicles = data?.vehicles ?? [];
  const ctx = { locale: settings.locale, units: settings.units, t };
  return (
    <>
      <PageHeader title={t('fleet.title')}>
        {data && <p className="text-sm text-slate-600 dark:text-slate-400">{t('fleet.count', { count: vehicles.length })}</p>}
      </PageHeader>
      {error && <ApiError error={error} retry={() => refetch({ requestPolicy: 'network-only' })} />}
      {!data && fetching && <Loading label={t('app.loading')} />}
      {data && vehicles.length === 0 && <p className="text-slate-700 dark:text-slate-300">{t('fleet.empty')}</p>}
      <ul className="grid gap-4 md:grid-cols-2 lg:grid-cols-3" aria-label={t('fleet.title')}>
        {vehicles.map((vehicle) => {
          const name = vehicle.displayName || vehicle.vin;
          const signals = toSignalMap(vehicle.signals);
          return (
            <li key={vehicle.vin} data-vin={vehicle.vin}>
              <Card
                level={2}
                title={
                  <Link to={`/cars/${vehicle.vin}`} className="underline-offset-2 hover:underline" aria-label={t('fleet.open', { name })}>
                    {name}
                  </Link>
                }
                actions={<StateBadge state={vehicle.state} />}
              >
                <p className="mb-3 text-sm text-slate-600 dark:text-slate-400">
                  {[vehicle.model, vehicle.vin].filter(Boolean).join(' · ')}
                  {vehicle.stateSince && (
                    <>
                      {' · '}
                      <time dateTime={vehicle.stateSince} title={format.dateTime(vehicle.stateSince)}>
                        {t('fleet.since', { time: format.relative(vehicle.stateSince) })}
                      </time>
                    </>
                  )}
                </p>
                <StatList>
                  <Stat label={t('signal.BatteryLevel')} value={displaySignal(signals.BatteryLevel, ctx)} signal="BatteryLevel" />
                  <Stat label={t('signal.EstBatteryRange')} value={displaySignal(signals.EstBatteryRange, ctx)} signal="EstBatteryRange" />
                  <Stat label={t('signal.VehicleSpeed')} value={displaySignal(signals.VehicleSpeed, ctx)} signal="VehicleSpeed" />
                </StatList>
                <div className="mt-3 flex flex-wrap items-center gap-2 text-sm text-slate-600 dark:text-slate-400">
                  <StreamBadge stream={vehicle.streamState} />
                  <span>
                    {t('signal.Location')}: {displaySignal(signals.Location, ctx)}
                  </span>
                </div>
              </Card>
            </li>
          );
        })}
      </ul>
    </>
  );
}
