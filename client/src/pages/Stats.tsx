import { useId, useMemo, useState } from 'react';
import { useParams } from 'react-router';
import { useQuery } from 'urql';
import { graphql } from '../gql';
import { useFormat, useSettings, useT } from '../lib/context';
import { formatDistance, formatDuration, formatNumber, formatQuantity } from '../lib/format';
import { localDate } from '../lib/paging';
import { aggregate, total, type Period, type PeriodFigures } from '../lib/stats';
import { toPreferred } from '../lib/units';
import { ApiError } from '../ui/ApiError';
import { BarChart } from '../ui/BarChart';
import { Card } from '../ui/Card';
import { CarNav } from '../ui/CarNav';
import { PageHeader } from '../ui/Layout';
import { Loading } from '../ui/Notice';
import { Stat, StatList } from '../ui/Stat';

const StatsQuery = graphql(`
  query StatsPage($vin: String!, $from: Date!, $to: Date!, $timezone: String!) {
    vehicle(vin: $vin) {
      vin
      displayName
      dailyStats(from: $from, to: $to, timezone: $timezone) {
        date
        distance
        energyUsedKwh
        energyAddedKwh
        costs {
          amount
          currency
        }
        costComplete
        drives
        charges
        drivingSeconds
        chargingSeconds
      }
    }
  }
`);

const PERIODS: Period[] = ['day', 'week', 'month'];
const th = 'px-2 py-1 text-left font-medium';
const td = 'px-2 py-1 tabular-nums';

export default function Stats() {
  const { vin = '' } = useParams();
  const t = useT();
  const format = useFormat();
  const { settings } = useSettings();
  const { locale, timeZone, units } = settings;
  const groupId = useId();
  const [period, setPeriod] = useState<Period>('day');
  const range = useMemo(() => {
    const now = new Date();
    return { from: localDate(now, timeZone, 29), to: localDate(now, timeZone) };
  }, [timeZone]);
  const [{ data, fetching, error }, refetch] = useQuery({
    query: StatsQuery,
    variables: { vin, from: range.from, to: range.to, timezone: timeZone },
  });
  const vehicle = data?.vehicle;
  const days = vehicle?.dailyStats;
  const rows = useMemo(() => aggregate(days ?? [], period), [days, period]);
  const totals = useMemo(() => total(days ?? []), [days]);

  // local calendar dates: formatted at UTC midnight so no time zone moves them a day
  const dayLabel = (date: string, options: Intl.DateTimeFormatOptions) =>
    new Intl.DateTimeFormat(locale, { ...options, timeZone: 'UTC' }).format(new Date(`${date}T00:00:00Z`));
  const periodLabel = (r: PeriodFigures) =>
    period === 'day'
      ? dayLabel(r.start, { dateStyle: 'medium' })
      : period === 'week'
        ? t('stats.weekOf', { date: dayLabel(r.start, { dateStyle: 'medium' }) })
        : dayLabel(r.start, { month: 'long', year: 'numeric' });
  const shortLabel = (r: PeriodFigures) =>
    period === 'month' ? dayLabel(r.start, { month: 'short' }) : dayLabel(r.start, { day: 'numeric', month: 'short' });
  const none = t('car.noValue');
  const distance = (km: number) => formatDistance(km, locale, units);
  const kwh = (v: number | null) => (v == null ? none : formatQuantity(v, 'kWh', locale));
  const money = (r: PeriodFigures) => {
    const text = r.costs.map((c) => format.money(c.amount, c.currency) ?? none).join(' + ') || none;
    return r.costComplete ? text : `${text} (${t('stats.costIncomplete')})`;
  };
  const distanceUnit = toPreferred(1, 'km', units).unit;
  const maxRow = rows.reduce<PeriodFigures | null>((m, r) => (!m || r.distance > m.distance ? r : m), null);

  return (
    <>
      <PageHeader title={t('stats.title', { name: vehicle?.displayName || vin })} />
      <CarNav vin={vin} />
      <p className="mb-4 text-sm text-slate-700 dark:text-slate-300">
        {t('stats.range', { from: dayLabel(range.from, { dateStyle: 'medium' }), to: dayLabel(range.to, { dateStyle: 'medium' }) })}
      </p>
      {error && <ApiError error={error} retry={() => refetch({ requestPolicy: 'network-only' })} />}
      {!data && fetching && <Loading label={t('app.loading')} />}
      {data && !vehicle && <p>{t('errors.notFound')}</p>}
      {vehicle && (
        <div className="grid grid-cols-1 gap-4">
          {totals && (
            <Card title={t('stats.totals')}>
              <StatList className="sm:grid-cols-4">
                <Stat label={t('stats.distance')} value={distance(totals.distance)} signal="distance" />
                <Stat label={t('stats.energyUsed')} value={kwh(totals.energyUsedKwh)} />
                <Stat label={t('stats.energyAdded')} value={kwh(totals.energyAddedKwh)} />
                <Stat label={t('stats.cost')} value={money(totals)} />
                <Stat label={t('stats.drives')} value={formatNumber(totals.drives, locale)} />
                <Stat label={t('stats.charges')} value={formatNumber(totals.charges, locale)} />
                <Stat label={t('stats.drivingTime')} value={formatDuration(totals.drivingSeconds, locale)} />
                <Stat label={t('stats.chargingTime')} value={formatDuration(totals.chargingSeconds, locale)} />
              </StatList>
            </Card>
          )}
          <fieldset className="flex flex-wrap items-center gap-2">
            <legend className="sr-only">{t('stats.group')}</legend>
            <span aria-hidden="true" className="text-sm text-slate-700 dark:text-slate-300">
              {t('stats.group')}
            </span>
            {PERIODS.map((p) => (
              <label
                key={p}
                className="cursor-pointer rounded-md border border-slate-300 px-3 py-1 text-sm has-[:checked]:border-blue-700 has-[:checked]:bg-blue-700 has-[:checked]:text-white has-[:focus-visible]:outline-2 has-[:focus-visible]:outline-blue-500 dark:border-slate-600"
              >
                <input type="radio" name={groupId} value={p} checked={period === p} onChange={() => setPeriod(p)} className="sr-only" />
                {t(`stats.${p}`)}
              </label>
            ))}
          </fieldset>
          {rows.length === 0 ? (
            <p className="text-slate-700 dark:text-slate-300">{t('stats.empty')}</p>
          ) : (
            <>
              <Card title={t('stats.chart')}>
                <BarChart
                  label={t('stats.chart')}
                  summary={t('stats.chartSummary', {
                    count: rows.length,
                    from: periodLabel(rows[0]!),
                    to: periodLabel(rows[rows.length - 1]!),
                    total: distance(totals?.distance ?? 0),
                    max: maxRow ? `${distance(maxRow.distance)} (${periodLabel(maxRow)})` : none,
                  })}
                  bars={rows.map((r) => ({ label: shortLabel(r), value: toPreferred(r.distance, 'km', units).value }))}
                  formatY={(y, digits) => formatQuantity(y, distanceUnit, locale, digits)}
                  testId="stats-chart"
                />
              </Card>
              <Card title={t('stats.table')}>
                <div className="overflow-x-auto">
                  <table className="w-full min-w-[44rem] text-sm" data-testid="stats-table">
                    <thead className="border-b border-slate-200 dark:border-slate-700">
                      <tr>
                        <th scope="col" className={th}>{t('stats.period')}</th>
                        <th scope="col" className={th}>{t('stats.distance')}</th>
                        <th scope="col" className={th}>{t('stats.energyUsed')}</th>
                        <th scope="col" className={th}>{t('stats.energyAdded')}</th>
                        <th scope="col" className={th}>{t('stats.cost')}</th>
                        <th scope="col" className={th}>{t('stats.drives')}</th>
                        <th scope="col" className={th}>{t('stats.charges')}</th>
                        <th scope="col" className={th}>{t('stats.drivingTime')}</th>
                        <th scope="col" className={th}>{t('stats.chargingTime')}</th>
                      </tr>
                    </thead>
                    <tbody>
                      {[...rows].reverse().map((r) => (
                        <tr key={r.start} className="border-b border-slate-100 dark:border-slate-800">
                          <th scope="row" className={`${th} font-normal`}>
                            {periodLabel(r)}
                          </th>
                          <td className={td}>{distance(r.distance)}</td>
                          <td className={td}>{kwh(r.energyUsedKwh)}</td>
                          <td className={td}>{kwh(r.energyAddedKwh)}</td>
                          <td className={td}>{money(r)}</td>
                          <td className={td}>{formatNumber(r.drives, locale)}</td>
                          <td className={td}>{formatNumber(r.charges, locale)}</td>
                          <td className={td}>{formatDuration(r.drivingSeconds, locale)}</td>
                          <td className={td}>{formatDuration(r.chargingSeconds, locale)}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              </Card>
            </>
          )}
        </div>
      )}
    </>
  );
}
