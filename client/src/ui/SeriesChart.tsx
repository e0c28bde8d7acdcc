import { useFormat, useSettings, useT } from '../lib/context';
import { formatQuantity } from '../lib/format';
import { extent } from '../lib/chart';
import { LineChart } from './LineChart';

export interface SeriesData {
  name: string;
  unit?: string | null | undefined;
  bucketSeconds: number;
  columns: { at: readonly string[]; mean: readonly number[] };
}

/** One field's history over a time range, as a LineChart with its summary. */
export function SeriesChart({ series, label, yMin, yMax }: { series: SeriesData; label: string; yMin?: number; yMax?: number }) {
  const t = useT();
  const format = useFormat();
  const { settings } = useSettings();
  const points = series.columns.at.map((at, i) => ({ x: Date.parse(at), y: series.columns.mean[i] ?? NaN }));
  const fmt = (v: number) => formatQuantity(v, series.unit, settings.locale);
  const range = extent(points.map((p) => p.y));
  const summary =
    range && points.length
      ? t('chart.summary', {
          from: format.time(new Date(points[0]!.x).toISOString()),
          to: format.time(new Date(points[points.length - 1]!.x).toISOString()),
          min: fmt(range[0]),
          max: fmt(range[1]),
        })
      : t('chart.noData');
  if (!points.length) return <p className="text-sm text-slate-600 dark:text-slate-400">{t('chart.noData')}</p>;
  return (
    <LineChart
      label={label}
      summary={summary}
      points={points}
      formatX={(x) => format.time(new Date(x).toISOString())}
      formatY={(y) => formatQuantity(y, series.unit, settings.locale, 0)}
      // the car sends a value only when it changes: a few empty buckets are a steady value, not a gap
      maxGap={Math.max(series.bucketSeconds * 10, 120) * 1000}
      testId={`chart-${series.name}`}
      {...(yMin !== undefined ? { yMin } : {})}
      {...(yMax !== undefined ? { yMax } : {})}
    />
  );
}
