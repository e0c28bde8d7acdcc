// The frame and axes of the small SVG charts (BarChart, LineChart); what they place is in lib/chartAxes.ts.

import { useId, type ReactNode } from 'react';
import { CHART_MARGIN as M, CHART_WIDTH as W, type AxisLabel } from '../lib/chartAxes';

export interface ChartFrameProps {
  /** Names the chart (its heading is outside; this is what assistive technology reads). */
  label: string;
  /** A sentence of what it shows. */
  summary: string;
  height: number;
  testId?: string | undefined;
  /** What tests count, e.g. `{ 'data-points': 12 }`. */
  counts: Record<`data-${string}`, number>;
  children: ReactNode;
}

/** A chart's SVG: scales to its container, one role=img with a title and a description. */
export function ChartFrame({ label, summary, height, testId, counts, children }: ChartFrameProps) {
  const id = useId();
  return (
    <svg
      viewBox={`0 0 ${W} ${height}`}
      role="img"
      aria-labelledby={`${id}-t ${id}-d`}
      className="h-auto w-full text-slate-500 dark:text-slate-400"
      data-testid={testId}
      {...counts}
    >
      <title id={`${id}-t`}>{label}</title>
      <desc id={`${id}-d`}>{summary}</desc>
      {children}
    </svg>
  );
}

export interface ChartAxesProps {
  height: number;
  /** The value axis's scale, onto the plot's height. */
  y: (value: number) => number;
  yTicks: readonly number[];
  formatY: (tick: number) => string;
  /** Under the plot. */
  xLabels: readonly AxisLabel[];
}

/** Grid lines at the value ticks, labelled on the left, and the labels under the plot; hidden, as the description says it. */
export function ChartAxes({ height, y, yTicks, formatY, xLabels }: ChartAxesProps) {
  return (
    <g aria-hidden="true" fontSize="11" fill="currentColor">
      {yTicks.map((tick) => (
        <g key={tick}>
          <line x1={M.left} x2={W - M.right} y1={y(tick)} y2={y(tick)} stroke="currentColor" strokeOpacity="0.25" />
          <text x={M.left - 6} y={y(tick)} textAnchor="end" dominantBaseline="middle">
            {formatY(tick)}
          </text>
        </g>
      ))}
      {xLabels.map((label, i) => (
        <text key={i} x={label.at} y={height - 6} textAnchor={label.anchor}>
          {label.text}
        </text>
      ))}
    </g>
  );
}
