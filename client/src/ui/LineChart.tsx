import { linear, linePath, niceDomain, type XY } from '../lib/chart';
import { CHART_MARGIN as M, CHART_WIDTH as W, spreadLabels, valueTicks } from '../lib/chartAxes';
import { ChartAxes, ChartFrame } from './chartAxes';

export interface LineChartProps {
  /** Names the chart (its heading is outside; this is what assistive technology reads). */
  label: string;
  /** A sentence of what it shows: range, lowest and highest. */
  summary: string;
  points: readonly XY[];
  formatX: (x: number) => string;
  formatY: (y: number) => string;
  /** A jump in x longer than this is drawn as a gap. */
  maxGap?: number;
  yMin?: number;
  yMax?: number;
  height?: number;
  testId?: string;
}

/** A small line chart in SVG: scales to its container, one role=img with a title and a description. */
export function LineChart({ label, summary, points, formatX, formatY, maxGap, yMin, yMax, height = 180, testId }: LineChartProps) {
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  const xDomain: [number, number] = xs.length ? [Math.min(...xs), Math.max(...xs)] : [0, 1];
  const yDomain = niceDomain(ys, { ...(yMin !== undefined ? { min: yMin } : {}), ...(yMax !== undefined ? { max: yMax } : {}) });
  const x = linear(xDomain, [M.left, W - M.right]);
  const y = linear(yDomain, [height - M.bottom, M.top]);
  const { ticks } = valueTicks(yDomain);
  const path = linePath(points, x, y, maxGap);
  return (
    <ChartFrame label={label} summary={summary} height={height} testId={testId} counts={{ 'data-points': points.length }}>
      <ChartAxes height={height} y={y} yTicks={ticks} formatY={formatY} xLabels={xs.length ? spreadLabels(xDomain, x, formatX) : []} />
      {points.length < 3 &&
        points.map((p, i) => <circle key={i} cx={x(p.x)} cy={y(p.y)} r="4" fill="rgb(29 78 216)" />)}
      <path d={path} fill="none" stroke="rgb(29 78 216)" strokeWidth="2" strokeLinejoin="round" strokeLinecap="round" />
    </ChartFrame>
  );
}
