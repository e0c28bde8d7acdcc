// The axes the small SVG charts share (the drawing's size and margins, the value ticks, the labels under
// the plot), as pure functions; ui/chartAxes.tsx draws them.

import { niceTicks, tickDigits, type Band } from './chart';

/** The drawing's width in SVG units (it scales to its container). */
export const CHART_WIDTH = 600;
/** Room around the plot for the axes' labels. */
export const CHART_MARGIN = { top: 10, right: 16, bottom: 24, left: 64 };

/** A label under the plot: where it stands (in chart coordinates), what it says, how it sits there. */
export interface AxisLabel {
  at: number;
  text: string;
  anchor: 'start' | 'middle' | 'end';
}

/** The value axis's ticks over `domain`, and how many fraction digits tell them apart. */
export function valueTicks(domain: readonly [number, number]): { ticks: number[]; digits: number } {
  const ticks = niceTicks(domain[0], domain[1], 4);
  return { ticks, digits: tickDigits(ticks.length > 1 ? ticks[1]! - ticks[0]! : 1) };
}

/**
 * Three labels across `domain` (at its ends and middle, placed by `x`), one when it has no width; never two
 * that read the same, and the outer ones kept inside the plot.
 */
export function spreadLabels(domain: readonly [number, number], x: (value: number) => number, format: (value: number) => string): AxisLabel[] {
  const [from, to] = domain;
  const ticks = (from === to ? [from] : [from, (from + to) / 2, to]).filter(
    (tick, i, all) => all.findIndex((other) => format(other) === format(tick)) === i,
  );
  return ticks.map((tick, i) => ({
    at: x(tick),
    text: format(tick),
    anchor: ticks.length === 1 ? 'middle' : i === 0 ? 'start' : i === ticks.length - 1 ? 'end' : 'middle',
  }));
}

/** A label centred under each band, or under every n-th band so that there are at most about `most`. */
export function bandLabels(labels: readonly string[], layout: readonly Band[], most: number): AxisLabel[] {
  const every = Math.max(1, Math.ceil(labels.length / most));
  return labels.flatMap((text, i) => {
    const band = layout[i];
    return i % every === 0 && band ? [{ at: band.x + band.width / 2, text, anchor: 'middle' as const }] : [];
  });
}
