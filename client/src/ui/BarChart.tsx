import { useId } from 'react';
import { bands, linear, niceDomain, niceTicks, tickDigits } from '../lib/chart';

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

const W = 600;
const M = { top: 10, right: 16, bottom: 24, left: 64 };

/** A small bar chart in SVG: scales to its container, one role=img with a title and a description. */
export function BarChart({ label, summary, bars, formatY, height = 180, testId }: BarChartProps) {
  const id = useId();
  const values = bars.map((b) => (Number.isFinite(b.value) ? b.value : 0));
  // bars stand on zero; all zero (nothing yet) shows an empty 0..1 axis, not one below zero
  const domain = niceDomain(values.some((v) => v !== 0) ? values : [0, 1], { min: 0 });
  const y = linear(domain, [height - M.bottom, M.top]);
  const yTicks = niceTicks(domain[0], domain[1], 4);
  const digits = tickDigits(yTicks.length > 1 ? yTicks[1]! - yTicks[0]! : 1);
  const layout = bands(bars.length, M.left, W - M.right);
  // at most about eight labels under the bars
  const every = Math.max(1, Math.ceil(bars.length / 8));
  return (
    <svg
      viewBox={`0 0 ${W} ${height}`}
      role="img"
      aria-labelledby={`${id}-t ${id}-d`}
      className="h-auto w-full text-slate-500 dark:text-slate-400"
      data-testid={testId}
      data-bars={bars.length}
    >
      <title id={`${id}-t`}>{label}</title>
      <desc id={`${id}-d`}>{summary}</desc>
      <g aria-hidden="true" fontSize="11" fill="currentColor">
        {yTicks.map((tick) => (
          <g key={tick}>
            <line x1={M.left} x2={W - M.right} y1={y(tick)} y2={y(tick)} stroke="currentColor" strokeOpacity="0.25" />
            <text x={M.left - 6} y={y(tick)} textAnchor="end" dominantBaseline="middle">
              {formatY(tick, digits)}
            </text>
          </g>
        ))}
        {bars.map((bar, i) =>
          i % every === 0 ? (
            <text key={i} x={layout[i]!.x + layout[i]!.width / 2} y={height - 6} textAnchor="middle">
              {bar.label}
            </text>
          ) : null,
        )}
      </g>
      <g aria-hidden="true" fill="rgb(29 78 216)">
        {bars.map((_, i) => {
          const v = values[i]!;
          const top = y(Math.max(v, 0));
          const bottom = y(Math.min(v, 0));
          return <rect key={i} x={layout[i]!.x} width={layout[i]!.width} y={top} height={Math.max(0, bottom - top)} rx="2" />;
        })}
      </g>
    </svg>
  );
}
