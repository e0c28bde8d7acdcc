import { useEffect, useMemo, useSyncExternalStore } from 'react';
import { useParams } from 'react-router';
import { useQuery, useSubscription } from 'urql';
import { graphql } from '../gql';
import { HelixSlot } from '../helix/HelixSlot';
import type { BaseKey } from '../i18n/en';
import { linkStore, onReconnect } from '../lib/api';
import { useFormat, useSettings, useT } from '../lib/context';
import { displaySignal, mergeSignal, mergeSignals, toSignalMap, type SignalMap } from '../lib/signals';
import { locationOf } from '../lib/geo';
import { ApiError } from '../ui/ApiError';
import { Badge } from '../ui/Badge';
import { Card } from '../ui/Card';
import { CarNav } from '../ui/CarNav';
import { PageHeader } from '../ui/Layout';
import { Loading } from '../ui/Notice';
import { PositionMap } from '../ui/map/PositionMap';
import { Stat, StatList } from '../ui/Stat';
import { StateBadge, StreamBadge } from '../ui/vehicle';

/** What the page shows, by section. */
const SECTIONS: { title: BaseKey; fields: string[] }[] = [
  { title: 'car.section.battery', fields: ['BatteryLevel', 'EstBatteryRange', 'RatedRange', 'EnergyRemaining'] },
  { title: 'car.section.driving', fields: ['VehicleSpeed', 'Gear', 'Odometer', 'GpsHeading'] },
  {
    title: 'car.section.charging',
    fields: ['DetailedChargeState', 'ACChargingPower', 'DCChargingPower', 'ChargeLimitSoc', 'TimeToFullCharge'],
  },
  { title: 'car.section.climate', fields: ['InsideTemp', 'OutsideTemp'] },
  { title: 'car.section.security', fields: ['Locked', 'DoorState', 'SentryMode'] },
  { title: 'car.section.tyres', fields: ['TpmsPressureFl', 'TpmsPressureFr', 'TpmsPressureRl', 'TpmsPressureRr'] },
  { title: 'car.section.location', fields: ['Location'] },
];
const FIELDS = SECTIONS.flatMap((section) => section.fields);
const WIDE = new Set(['Location', 'DoorState']);

const CarQuery = graphql(`
  query LiveCar($vin: String!, $names: [String!]!) {
    vehicle(vin: $vin) {
      vin
      displayName
      model
      state
      stateSince
      streamState
      signals(names: $names) {
        name
        value
        unit
        at
        approximate
      }
    }
  }
`);

const SignalsSubscription = graphql(`
  subscription LiveSignals($vin: String!, $names: [String!]!) {
    signals(vin: $vin, names: $names) {
      name
      value
      unit
      at
      approximate
      afterGap
    }
  }
`);

const StateSubscription = graphql(`
  subscription LiveState($vin: String!) {
    vehicleState(vin: $vin) {
      state
      since
    }
  }
`);

function LinkBadge() {
  const t = useT();
  const state = useSyncExternalStore(linkStore.subscribe, linkStore.get);
  if (state === 'live') return <Badge tone="success">{t('car.live')}</Badge>;
  if (state === 'reconnecting') return <Badge tone="warning">{t('car.reconnecting')}</Badge>;
  return <Badge tone="neutral">{t('car.connecting')}</Badge>;
}

export default function Car() {
  const { vin = '' } = useParams();
  const t = useT();
  const format = useFormat();
  const { settings } = useSettings();
  const variables = useMemo(() => ({ vin, names: FIELDS }), [vin]);
  const [{ data, fetching, error }, refetch] = useQuery({ query: CarQuery, variables });
  const [live] = useSubscription({ query: SignalsSubscription, variables }, (previous: SignalMap = {}, update) =>
    mergeSignal(previous, update.signals),
  );
  const [stateChange] = useSubscription({ query: StateSubscription, variables: { vin } });

  // after the socket comes back, updates in between may be lost: read the latest values again
  useEffect(() => onReconnect(() => refetch({ requestPolicy: 'network-only' })), [refetch]);

  const vehicle = data?.vehicle;
  const signals = useMemo(() => mergeSignals(toSignalMap(vehicle?.signals), live.data ?? {}), [vehicle?.signals, live.data]);
  if (!vehicle) {
    return (
      <>
        <PageHeader title={vin} />
        {error && <ApiError error={error} retry={() => refetch({ requestPolicy: 'network-only' })} />}
        {fetching && <Loading label={t('app.loading')} />}
        {!fetching && !error && <p>{t('errors.notFound')}</p>}
      </>
    );
  }
  const name = vehicle.displayName || vehicle.vin;
  const state = stateChange.data?.vehicleState.state ?? vehicle.state;
  const ctx = { locale: settings.locale, units: settings.units, t };
  return (
    <>
      <PageHeader title={name}>
        <StateBadge state={state} />
        <StreamBadge stream={vehicle.streamState} />
        <LinkBadge />
      </PageHeader>
      <CarNav vin={vehicle.vin} />
      {live.error && <ApiError error={live.error} />}
      <div className="grid gap-4 md:grid-cols-2">
        {SECTIONS.map((section) => (
          <Card key={section.title} title={t(section.title)}>
            <StatList>
              {section.fields.map((field) => {
                const signal = signals[field];
                return (
                  <Stat
                    key={field}
                    signal={field}
                    flash
                    wide={WIDE.has(field)}
                    label={t(`signal.${field}` as BaseKey)}
                    value={displaySignal(signal, ctx)}
                    hint={
                      signal && (
                        <time dateTime={signal.at} title={format.dateTime(signal.at)}>
                          {t('car.updated', { time: format.time(signal.at) })}
                        </time>
                      )
                    }
                  />
                );
              })}
            </StatList>
          </Card>
        ))}
      </div>
      <Card title={t('map.position')} className="mt-4">
        <PositionMap
          label={t('map.carLabel', { name })}
          position={locationOf(signals.Location?.value)}
          heading={typeof signals.GpsHeading?.value === 'number' ? signals.GpsHeading.value : null}
          at={signals.Location?.at}
          follow
          testId="car-map"
        />
      </Card>
      <HelixSlot
        features={[
          { name: 'ask_my_data', action: t('helix.action.ask_my_data') },
          { name: 'maintenance_hints', action: t('helix.action.maintenance_hints') },
        ]}
        fixed={{ vin: vehicle.vin }}
      />
    </>
  );
}
