import { bands, linear, niceDomain } from '../lib/chart';
import { bandLabels, CHART_MARGIN as M, CHART_WIDTH as W, valueTicks } from '../lib/chartAxes';
import { ChartAxes, ChartFrame } from './chartAxes';

export interface Bar {
  /** Under the bar (shortened by the chart when there are many). */
  label: string;
  value: number;
}

export interface BarChartProps {
  /** Names the chart (its heading is outside; this is what assistive technology reads). */
  label: string;
  /** A sentence of what it shows: the range, the total, the largest bar. */
  summary: string;
  bars: readonly Bar[];
  /** A tick's label; `digits` is how many fraction digits tell the ticks apart. */
  formatY: (y: number, digits: number) => string;
  height?: number;
  testId?: string;
}

/** A small bar chart in SVG: scales to its container, one role=img with a title and a description. */
export function BarChart({ label, summary, bars, formatY, height = 180, testId }: BarChartProps) {
  const values = bars.map((b) => (Number.isFinite(b.value) ? b.value : 0));
  // bars stand on zero; all zero (nothing yet) shows an empty 0..1 axis, not one below zero
  const domain = niceDomain(values.some((v) => v !== 0) ? values : [0, 1], { min: 0 });
  const y = linear(domain, [height - M.bottom, M.top]);
  const { ticks, digits } = valueTicks(domain);
  const layout = bands(bars.length, M.left, W - M.right);
  // at most about eight labels under the bars
  const xLabels = bandLabels(bars.map((bar) => bar.label), layout, 8);
  return (
    <ChartFrame label={label} summary={summary} height={height} testId={testId} counts={{ 'data-bars': bars.length }}>
      <ChartAxes height={height} y={y} yTicks={ticks} formatY={(tick) => formatY(tick, digits)} xLabels={xLabels} />
      <g aria-hidden="true" fill="rgb(29 78 216)">
        {bars.map((_, i) => {
          const v = values[i]!;
          const top = y(Math.max(v, 0));
          const bottom = y(Math.min(v, 0));
          return <rect key={i} x={layout[i]!.x} width={layout[i]!.width} y={top} height={Math.max(0, bottom - top)} rx="2" />;
        })}
      </g>
    </ChartFrame>
  );
}
