import { describe, expect, it } from 'vitest';
import { bands } from './chart';
import { bandLabels, spreadLabels, valueTicks } from './chartAxes';

describe('value ticks', () => {
  it('gives round ticks and the digits that tell them apart', () => {
    expect(valueTicks([0, 100])).toEqual({ ticks: [0, 50, 100], digits: 0 });
    expect(valueTicks([0, 0.5])).toEqual({ ticks: [0, 0.2, 0.4], digits: 1 });
    expect(valueTicks([7, 7])).toEqual({ ticks: [7], digits: 0 });
  });
});

describe('labels across a range', () => {
  const x = (v: number) => 100 + v * 10;

  it('puts three labels at the ends and the middle, the outer ones inside the plot', () => {
    expect(spreadLabels([0, 10], x, (v) => `t${v}`)).toEqual([
      { at: 100, text: 't0', anchor: 'start' },
      { at: 150, text: 't5', anchor: 'middle' },
      { at: 200, text: 't10', anchor: 'end' },
    ]);
  });

  it('never shows two labels that read the same', () => {
    const hours = (v: number) => `${Math.floor(v / 6)} h`;
    expect(spreadLabels([0, 10], x, hours)).toEqual([
      { at: 100, text: '0 h', anchor: 'start' },
      { at: 200, text: '1 h', anchor: 'end' },
    ]);
    expect(spreadLabels([0, 10], x, () => 'today')).toEqual([{ at: 100, text: 'today', anchor: 'middle' }]);
  });

  it('centres the one label of a range without width', () => {
    expect(spreadLabels([5, 5], x, String)).toEqual([{ at: 150, text: '5', anchor: 'middle' }]);
  });
});

describe('labels under bands', () => {
  it('centres a label under each band', () => {
    const layout = bands(2, 0, 100);
    expect(bandLabels(['a', 'b'], layout, 8)).toEqual([
      { at: layout[0]!.x + layout[0]!.width / 2, text: 'a', anchor: 'middle' },
      { at: layout[1]!.x + layout[1]!.width / 2, text: 'b', anchor: 'middle' },
    ]);
    expect(bandLabels([], [], 8)).toEqual([]);
  });

  it('labels every n-th band when there are many', () => {
    const labels = Array.from({ length: 20 }, (_, i) => `d${i}`);
    const shown = bandLabels(labels, bands(20, 0, 600), 8);
    expect(shown.map((label) => label.text)).toEqual(['d0', 'd3', 'd6', 'd9', 'd12', 'd15', 'd18']);
    expect(bandLabels(labels.slice(0, 8), bands(8, 0, 600), 8)).toHaveLength(8);
  });
});
