import { useId } from 'react';
import { linear, linePath, niceDomain, niceTicks, type XY } from '../lib/chart';

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

const W = 600;
const M = { top: 10, right: 16, bottom: 24, left: 64 };

/** A small line chart in SVG: scales to its container, one role=img with a title and a description. */
export function LineChart({ label, summary, points, formatX, formatY, maxGap, yMin, yMax, height = 180, testId }: LineChartProps) {
  const id = useId();
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  const xDomain: [number, number] = xs.length ? [Math.min(...xs), Math.max(...xs)] : [0, 1];
  const yDomain = niceDomain(ys, { ...(yMin !== undefined ? { min: yMin } : {}), ...(yMax !== undefined ? { max: yMax } : {}) });
  const x = linear(xDomain, [M.left, W - M.right]);
  const y = linear(yDomain, [height - M.bottom, M.top]);
  const yTicks = niceTicks(yDomain[0], yDomain[1], 4);
  // three labels across, one when every point has the same x; never two that read the same
  const xTicks = (xDomain[0] === xDomain[1] ? [xDomain[0]] : [xDomain[0], (xDomain[0] + xDomain[1]) / 2, xDomain[1]]).filter(
    (tick, i, all) => xs.length > 0 && all.findIndex((other) => formatX(other) === formatX(tick)) === i,
  );
  const path = linePath(points, x, y, maxGap);
  return (
    <svg
      viewBox={`0 0 ${W} ${height}`}
      role="img"
      aria-labelledby={`${id}-t ${id}-d`}
      className="h-auto w-full text-slate-500 dark:text-slate-400"
      data-testid={testId}
      data-points={points.length}
    >
      <title id={`${id}-t`}>{label}</title>
      <desc id={`${id}-d`}>{summary}</desc>
      <g aria-hidden="true" fontSize="11" fill="currentColor">
        {yTicks.map((tick) => (
          <g key={tick}>
            <line x1={M.left} x2={W - M.right} y1={y(tick)} y2={y(tick)} stroke="currentColor" strokeOpacity="0.25" />
            <text x={M.left - 6} y={y(tick)} textAnchor="end" dominantBaseline="middle">
              {formatY(tick)}
            </text>
          </g>
        ))}
        {xTicks.map((tick, i) => (
          <text key={i} x={x(tick)} y={height - 6} textAnchor={xTicks.length === 1 ? 'middle' : i === 0 ? 'start' : i === xTicks.length - 1 ? 'end' : 'middle'}>
            {formatX(tick)}
          </text>
        ))}
      </g>
      {points.length < 3 &&
        points.map((p, i) => <circle key={i} cx={x(p.x)} cy={y(p.y)} r="4" fill="rgb(29 78 216)" />)}
      <path d={path} fill="none" stroke="rgb(29 78 216)" strokeWidth="2" strokeLinejoin="round" strokeLinecap="round" />
    </svg>
  );
}
