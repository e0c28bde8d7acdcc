// Scaling and drawing helpers for the small SVG charts: no chart library, pure functions.

export interface XY {
  x: number;
  y: number;
}

/** A linear map from `domain` onto `range`; a domain of zero width maps to the middle of the range. */
export function linear(domain: readonly [number, number], range: readonly [number, number]): (value: number) => number {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  const span = d1 - d0;
  if (span === 0 || !Number.isFinite(span)) return () => (r0 + r1) / 2;
  return (value) => r0 + ((value - d0) / span) * (r1 - r0);
}

/** Smallest and largest finite value; null when there is none. */
export function extent(values: Iterable<number>): [number, number] | null {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return min <= max ? [min, max] : null;
}

/** A round step (1, 2 or 5 times a power of ten) that cuts [min, max] into about `count` parts. */
export function tickStep(min: number, max: number, count = 4): number {
  const raw = Math.abs(max - min) / Math.max(1, count);
  if (!(raw > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw * (1 - 1e-9)) ?? 10 * power;
}

/** About `count` round tick values (1, 2 or 5 times a power of ten) covering [min, max]. */
export function niceTicks(min: number, max: number, count = 4): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (min === max) return [min];
  if (min > max) [min, max] = [max, min];
  const step = tickStep(min, max, count);
  const first = Math.ceil(min / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let v = first; v <= max + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

/** The domain a chart shows: the values' extent rounded out to whole ticks, with a floor and ceiling if given. */
export function niceDomain(values: readonly number[], options: { min?: number; max?: number; count?: number } = {}): [number, number] {
  const e = extent(values) ?? [0, 1];
  let [lo, hi] = e;
  if (options.min !== undefined) lo = Math.min(lo, options.min);
  if (options.max !== undefined) hi = Math.max(hi, options.max);
  if (lo === hi) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  const step = tickStep(lo, hi, options.count ?? 4);
  return [Number((Math.floor(lo / step + 1e-9) * step).toPrecision(12)), Number((Math.ceil(hi / step - 1e-9) * step).toPrecision(12))];
}

/**
 * An SVG path through the points (already in chart coordinates), ordered by x. A jump in the data's x of
 * more than `maxGap` (in data units) starts a new segment, so missing data shows as a gap, not a line.
 */
export function linePath(points: readonly XY[], x: (v: number) => number, y: (v: number) => number, maxGap = Infinity): string {
  let path = '';
  let previous: number | null = null;
  for (const p of points) {
    if (!Number.isFinite(p.x) || !Number.isFinite(p.y)) {
      previous = null;
      continue;
    }
    const command = previous === null || p.x - previous > maxGap ? 'M' : 'L';
    path += `${path ? ' ' : ''}${command}${round(x(p.x))},${round(y(p.y))}`;
    previous = p.x;
  }
  return path;
}

export const round = (v: number): number => Math.round(v * 10) / 10;

export interface Band {
  /** Left edge. */
  x: number;
  width: number;
}

/**
 * `count` equal bars across [start, end], each band's `padding` share (0..1) left empty and split around
 * its bar; bars are at least 1 unit wide.
 */
export function bands(count: number, start: number, end: number, padding = 0.2): Band[] {
  if (count <= 0) return [];
  const step = (end - start) / count;
  const gap = Math.min(Math.max(padding, 0), 0.9) * step;
  const width = Math.max(1, step - gap);
  return Array.from({ length: count }, (_, i) => ({ x: round(start + i * step + (step - width) / 2), width: round(width) }));
}

/** Fraction digits that tell ticks `step` apart: 0 for 1, 2, 5, 10...; 1 for 0.5; 2 for 0.25 or 0.05. */
export function tickDigits(step: number): number {
  if (!(step > 0) || !Number.isFinite(step)) return 0;
  for (let digits = 0; digits < 6; digits++) if (Math.abs(Math.round(step * 10 ** digits) - step * 10 ** digits) < 1e-6) return digits;
  return 6;
}
