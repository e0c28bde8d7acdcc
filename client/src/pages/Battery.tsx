import { useState } from 'react';
import { useParams } from 'react-router';
import { useQuery } from 'urql';
import { graphql } from '../gql';
import { HelixSlot } from '../helix/HelixSlot';
import { useFormat, useSettings, useT } from '../lib/context';
import { extent } from '../lib/chart';
import { formatQuantity } from '../lib/format';
import { ApiError } from '../ui/ApiError';
import { BarChart } from '../ui/BarChart';
import { Card } from '../ui/Card';
import { CarNav } from '../ui/CarNav';
import { PageHeader } from '../ui/Layout';
import { LineChart } from '../ui/LineChart';
import { Loading, Notice } from '../ui/Notice';
import { Stat, StatList } from '../ui/Stat';

const BatteryQuery = graphql(`
  query BatteryPage($vin: String!, $since: DateTime!) {
    vehicle(vin: $vin) {
      vin
      displayName
      efficiency {
        whPerKm
        confirmations
      }
      batteryHealth {
        capacityNewKwh
        capacityNowKwh
        degradationPercent
        rangeAt100New
        rangeAt100Now
        trend {
          month
          odometer
          rangeAt100
          capacityKwh
          samples
        }
      }
      vampireDrain(since: $since) {
        hours
        batteryLevelPerHour
        rangePerHour
        averagePowerW
        asleepShare
        periods {
          startedAt
          endedAt
          hours
          batteryLevelLost
          rangeLost
          batteryLevelPerHour
          rangePerHour
          energyLostKwh
          averagePowerW
          asleepShare
          gained
        }
      }
    }
  }
`);

const DAY_MS = 86_400_000;
const th = 'px-2 py-1 text-left font-medium';
const td = 'px-2 py-1 tabular-nums';

export default function Battery() {
  const { vin = '' } = useParams();
  const t = useT();
  const format = useFormat();
  const { settings } = useSettings();
  const { locale, timeZone } = settings;
  // fixed for the page's life: a new instant every render would be a new query
  const [since] = useState(() => new Date(Math.floor(Date.now() / 60_000) * 60_000 - 30 * DAY_MS).toISOString());
  const [{ data, fetching, error }, refetch] = useQuery({ query: BatteryQuery, variables: { vin, since } });

  const vehicle = data?.vehicle;
  const health = vehicle?.batteryHealth;
  const drain = vehicle?.vampireDrain;
  const none = t('car.noValue');
  const kwh = (v: number | null | undefined, digits = 1) => (v == null ? none : formatQuantity(v, 'kWh', locale, digits));
  const pct = (v: number | null | undefined, digits = 1) => (v == null ? none : formatQuantity(v, '%', locale, digits));
  const month = (iso: string) => new Intl.DateTimeFormat(locale, { month: 'short', year: 'numeric', timeZone: 'UTC' }).format(new Date(iso));

  const shortDate = (iso: string) => new Intl.DateTimeFormat(locale, { day: 'numeric', month: 'short', timeZone }).format(new Date(iso));

  const trend = health?.trend ?? [];
  const trendPoints = trend.map((p) => ({ x: Date.parse(p.month), y: p.capacityKwh }));
  const trendRange = extent(trendPoints.map((p) => p.y));

  const periods = drain?.periods ?? [];
  const counted = periods.filter((p) => !p.gained);
  const perDay = counted.map((p) => p.batteryLevelPerHour * 24);
  const perDayRange = extent(perDay);

  return (
    <>
      <PageHeader title={t('battery.title', { name: vehicle?.displayName || vin })} />
      <CarNav vin={vin} />
      {error && <ApiError error={error} retry={() => refetch({ requestPolicy: 'network-only' })} />}
      {!data && fetching && <Loading label={t('app.loading')} />}
      {data && !vehicle && <p>{t('errors.notFound')}</p>}
      {vehicle && (
        <div className="grid grid-cols-1 gap-4">
          <Card title={t('battery.health')}>
            {health ? (
              <StatList>
                <Stat label={t('battery.capacityNow')} value={kwh(health.capacityNowKwh)} signal="capacityNow" />
                <Stat label={t('battery.capacityNew')} value={kwh(health.capacityNewKwh)} />
                <Stat label={t('battery.degradation')} value={pct(health.degradationPercent)} signal="degradation" />
                <Stat label={t('battery.rangeNow')} value={format.measure(health.rangeAt100Now, 'km')} />
                <Stat label={t('battery.rangeNew')} value={format.measure(health.rangeAt100New, 'km')} />
                {vehicle.efficiency && (
                  <Stat
                    label={t('battery.efficiency')}
                    value={format.measure(vehicle.efficiency.whPerKm, 'Wh/km')}
                    hint={t('battery.efficiencyHint', { count: vehicle.efficiency.confirmations })}
                  />
                )}
              </StatList>
            ) : (
              <Notice title={t('battery.unknownTitle')}>{t('battery.unknown')}</Notice>
            )}
          </Card>

          {health && (
            <Card title={t('battery.trend')}>
              {trendPoints.length >= 2 && trendRange ? (
                <LineChart
                  label={t('battery.trendChart')}
                  summary={t('battery.trendSummary', {
                    from: month(trend[0]!.month),
                    to: month(trend[trend.length - 1]!.month),
                    min: kwh(trendRange[0]),
                    max: kwh(trendRange[1]),
                  })}
                  points={trendPoints}
                  formatX={(x) => month(new Date(x).toISOString())}
                  formatY={(y) => kwh(y, 0)}
                  testId="capacity-trend"
                />
              ) : trend.length === 1 ? (
                <p className="text-sm text-slate-700 dark:text-slate-300">
                  {t('battery.trendOne', { month: month(trend[0]!.month), value: kwh(trend[0]!.capacityKwh) })}
                </p>
              ) : (
                <p className="text-sm text-slate-700 dark:text-slate-300">{t('battery.trendEmpty')}</p>
              )}
            </Card>
          )}

          <Card title={t('battery.drain')}>
            {drain && counted.length > 0 && perDayRange ? (
              <div className="grid grid-cols-1 gap-4">
                <StatList className="sm:grid-cols-4">
                  <Stat label={t('battery.drainHours')} value={formatQuantity(drain.hours, 'h', locale, 0)} />
                  <Stat
                    label={t('battery.drainLevel')}
                    value={drain.batteryLevelPerHour == null ? none : pct(drain.batteryLevelPerHour * 24, 2)}
                  />
                  <Stat
                    label={t('battery.drainRange')}
                    value={drain.rangePerHour == null ? none : format.measure(drain.rangePerHour * 24, 'km')}
                  />
                  <Stat
                    label={t('battery.drainPower')}
                    value={drain.averagePowerW == null ? none : formatQuantity(drain.averagePowerW, 'W', locale, 0)}
                  />
                </StatList>
                <BarChart
                  label={t('battery.drainChart')}
                  summary={t('battery.drainChartSummary', { count: counted.length, min: pct(perDayRange[0], 2), max: pct(perDayRange[1], 2) })}
                  bars={counted.map((p, i) => ({ label: shortDate(p.startedAt), value: perDay[i]! }))}
                  formatY={(y, digits) => pct(y, digits)}
                  height={160}
                  testId="drain-chart"
                />
              </div>
            ) : (
              <p className="text-sm text-slate-700 dark:text-slate-300" data-testid="drain-empty">
                {t('battery.drainEmpty')}
              </p>
            )}
          </Card>

          {periods.length > 0 && (
            <Card title={t('battery.periods')}>
              <div className="overflow-x-auto">
                <table className="w-full min-w-[36rem] text-sm">
                  <thead className="border-b border-slate-200 dark:border-slate-700">
                    <tr>
                      <th scope="col" className={th}>{t('battery.periodStart')}</th>
                      <th scope="col" className={th}>{t('battery.periodHours')}</th>
                      <th scope="col" className={th}>{t('battery.periodLevel')}</th>
                      <th scope="col" className={th}>{t('battery.periodRange')}</th>
                      <th scope="col" className={th}>{t('battery.periodEnergy')}</th>
                      <th scope="col" className={th}>{t('battery.periodPerDay')}</th>
                      <th scope="col" className={th}>{t('battery.drainAsleep')}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {[...periods].reverse().map((p) => (
                      <tr key={p.startedAt} className="border-b border-slate-100 dark:border-slate-800" data-gained={p.gained || undefined}>
                        <th scope="row" className={`${th} font-normal`}>
                          <time dateTime={p.startedAt}>{format.dateTime(p.startedAt)}</time>
                        </th>
                        <td className={td}>{formatQuantity(p.hours, 'h', locale, 1)}</td>
                        <td className={td}>{pct(p.batteryLevelLost)}</td>
                        <td className={td}>{format.measure(p.rangeLost, 'km')}</td>
                        <td className={td}>{kwh(p.energyLostKwh, 2)}</td>
                        <td className={td}>{p.gained ? t('battery.periodGained') : `${pct(p.batteryLevelPerHour * 24, 2)}`}</td>
                        <td className={td}>{pct(p.asleepShare * 100, 0)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </Card>
          )}
        </div>
      )}
      {vehicle && <HelixSlot features={[{ name: 'battery_narrative', action: t('helix.action.battery_narrative') }]} fixed={{ vin }} />}
    </>
  );
}
