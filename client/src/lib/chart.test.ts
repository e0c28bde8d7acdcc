import { describe, expect, it } from 'vitest';
import { bands, extent, tickDigits, linear, linePath, niceDomain, niceTicks } from './chart';

describe('chart scaling', () => {
  it('maps a domain onto a range, inverted for y', () => {
    const y = linear([0, 100], [200, 0]);
    expect(y(0)).toBe(200);
    expect(y(50)).toBe(100);
    expect(y(100)).toBe(0);
    expect(linear([5, 5], [0, 10])(5)).toBe(5);
  });

  it('finds the extent of finite values only', () => {
    expect(extent([3, NaN, -1, Infinity, 7])).toEqual([-1, 7]);
    expect(extent([])).toBeNull();
  });

  it('chooses round ticks', () => {
    expect(niceTicks(0, 100, 4)).toEqual([0, 50, 100]);
    expect(niceTicks(0, 100, 5)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(niceTicks(0.3, 0.9, 3)).toEqual([0.4, 0.6, 0.8]);
    expect(niceTicks(7, 7)).toEqual([7]);
    expect(niceTicks(12, 97, 5)).toEqual([20, 40, 60, 80]);
  });

  it('rounds the domain out to ticks and widens a flat line', () => {
    expect(niceDomain([12, 97])).toEqual([0, 100]);
    expect(niceDomain([50, 50])).toEqual([45, 55]);
    expect(niceDomain([3, 4], { min: 0 })).toEqual([0, 4]);
  });

  it('draws a path that breaks at gaps and skips bad points', () => {
    const id = (v: number) => v;
    const points = [
      { x: 0, y: 1 },
      { x: 1, y: 2 },
      { x: 10, y: 3 },
      { x: 11, y: NaN },
      { x: 12, y: 4 },
    ];
    expect(linePath(points, id, id, 5)).toBe('M0,1 L1,2 M10,3 M12,4');
    expect(linePath([], id, id)).toBe('');
  });
});

describe('bar bands', () => {
  it('cuts the width into equal bands with a gap around each bar', () => {
    expect(bands(4, 0, 100, 0.2)).toEqual([
      { x: 2.5, width: 20 },
      { x: 27.5, width: 20 },
      { x: 52.5, width: 20 },
      { x: 77.5, width: 20 },
    ]);
    expect(bands(1, 10, 20, 0)).toEqual([{ x: 10, width: 10 }]);
  });

  it('gives nothing for no bars and keeps narrow bars visible', () => {
    expect(bands(0, 0, 100)).toEqual([]);
    expect(bands(1000, 0, 100).every((b) => b.width === 1)).toBe(true);
  });
});

describe('tick digits', () => {
  it('shows as many fraction digits as the step needs', () => {
    expect(tickDigits(20)).toBe(0);
    expect(tickDigits(1)).toBe(0);
    expect(tickDigits(0.5)).toBe(1);
    expect(tickDigits(0.2)).toBe(1);
    expect(tickDigits(0.25)).toBe(2);
    expect(tickDigits(0.05)).toBe(2);
    expect(tickDigits(0)).toBe(0);
  });
});
