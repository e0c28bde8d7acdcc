import { describe, expect, it } from 'vitest';
import { aggregate, periodStart, total, type DayFigures } from './stats';

const day = (date: string, over: Partial<DayFigures> = {}): DayFigures => ({
  date,
  distance: 10,
  energyUsedKwh: 1.5,
  energyAddedKwh: 0,
  costs: [],
  costComplete: true,
  drives: 1,
  charges: 0,
  drivingSeconds: 600,
  chargingSeconds: 0,
  ...over,
});

describe('period starts', () => {
  it('starts weeks on Monday and months on the 1st', () => {
    expect(periodStart('2026-11-28', 'day')).toBe('2026-11-28');
    expect(periodStart('2026-11-28', 'week')).toBe('2026-11-23'); // a Saturday
    expect(periodStart('2026-11-23', 'week')).toBe('2026-11-23'); // a Monday
    expect(periodStart('2026-11-29', 'week')).toBe('2026-11-23'); // a Sunday ends the week
    expect(periodStart('2026-03-01', 'week')).toBe('2026-02-23'); // across a month
    expect(periodStart('2027-01-01', 'week')).toBe('2026-12-28'); // across a year
    expect(periodStart('2026-11-28', 'month')).toBe('2026-11-01');
    expect(periodStart('2026-11-29', 'week', 0)).toBe('2026-11-29'); // weeks starting Sunday
  });

  it('refuses what is not a date', () => {
    expect(() => periodStart('28.11.2026', 'week')).toThrow();
  });
});

describe('aggregate', () => {
  it('keeps days as they are, oldest first', () => {
    const rows = aggregate([day('2026-11-02'), day('2026-11-01', { distance: 5 })], 'day');
    expect(rows.map((r) => [r.start, r.distance, r.days])).toEqual([
      ['2026-11-01', 5, 1],
      ['2026-11-02', 10, 1],
    ]);
  });

  it('sums distance, energy, counts and seconds per week', () => {
    const rows = aggregate(
      [
        day('2026-11-22'), // Sunday: the week of 16 Nov
        day('2026-11-23', { energyAddedKwh: 20.1, charges: 1, chargingSeconds: 3600 }),
        day('2026-11-24', { distance: 0.1, energyUsedKwh: null, drives: 0, drivingSeconds: 0 }),
        day('2026-11-29', { distance: 0.2 }),
      ],
      'week',
    );
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ start: '2026-11-16', from: '2026-11-22', to: '2026-11-22', days: 1, distance: 10 });
    expect(rows[1]).toMatchObject({
      start: '2026-11-23',
      from: '2026-11-23',
      to: '2026-11-29',
      days: 3,
      distance: 10.3,
      energyUsedKwh: 3,
      energyAddedKwh: 20.1,
      drives: 2,
      charges: 1,
      drivingSeconds: 1200,
      chargingSeconds: 3600,
    });
  });

  it('sums costs per currency, exactly, and remembers an unknown cost', () => {
    const rows = aggregate(
      [
        day('2026-11-01', { costs: [{ amount: '0.10', currency: 'EUR' }] }),
        day('2026-11-15', { costs: [{ amount: '0.20', currency: 'EUR' }, { amount: '3', currency: 'CHF' }], costComplete: false }),
        day('2026-12-01', { costs: [{ amount: '1.5', currency: 'EUR' }] }),
      ],
      'month',
    );
    expect(rows.map((r) => r.start)).toEqual(['2026-11-01', '2026-12-01']);
    expect(rows[0]!.costs).toEqual([
      { currency: 'CHF', amount: 3 },
      { currency: 'EUR', amount: 0.3 },
    ]);
    expect(rows[0]!.costComplete).toBe(false);
    expect(rows[1]!.costComplete).toBe(true);
  });

  it('leaves energy used unknown when no day knows it, and gives nothing for no days', () => {
    expect(aggregate([day('2026-11-01', { energyUsedKwh: null })], 'month')[0]!.energyUsedKwh).toBeNull();
    expect(aggregate([], 'week')).toEqual([]);
  });

  it('adds up every day for the totals', () => {
    const sum = total([
      day('2026-11-30', { costs: [{ amount: '1.25', currency: 'EUR' }] }),
      day('2026-11-01', { costs: [{ amount: '2', currency: 'EUR' }], energyUsedKwh: null }),
    ]);
    expect(sum).toMatchObject({ start: '2026-11-01', from: '2026-11-01', to: '2026-11-30', days: 2, distance: 20, energyUsedKwh: 1.5, drives: 2 });
    expect(sum!.costs).toEqual([{ currency: 'EUR', amount: 3.25 }]);
    expect(total([])).toBeNull();
  });
});
