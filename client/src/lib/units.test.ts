import { describe, expect, it } from 'vitest';
import { barToPsi, cToF, defaultUnits, fToC, IMPERIAL, kmToMi, METRIC, miToKm, psiToBar, toPreferred } from './units';

describe('conversions', () => {
  it('converts distance both ways', () => {
    expect(kmToMi(1.609344)).toBeCloseTo(1, 12);
    expect(kmToMi(100)).toBeCloseTo(62.1371, 4);
    expect(miToKm(kmToMi(291.774))).toBeCloseTo(291.774, 9);
  });

  it('converts temperature both ways', () => {
    expect(cToF(0)).toBe(32);
    expect(cToF(100)).toBe(212);
    expect(cToF(-40)).toBe(-40);
    expect(fToC(cToF(21.5))).toBeCloseTo(21.5, 12);
  });

  it('converts tyre pressure both ways', () => {
    expect(barToPsi(1)).toBeCloseTo(14.5038, 4);
    expect(barToPsi(2.9)).toBeCloseTo(42.06, 2);
    expect(psiToBar(barToPsi(2.87))).toBeCloseTo(2.87, 12);
  });
});

describe('toPreferred', () => {
  it('leaves metric values alone for metric preferences', () => {
    expect(toPreferred(52, 'km/h', METRIC)).toEqual({ value: 52, unit: 'km/h' });
    expect(toPreferred(2.88, 'bar', METRIC)).toEqual({ value: 2.88, unit: 'bar' });
    expect(toPreferred(11.3, '°C', METRIC)).toEqual({ value: 11.3, unit: '°C' });
  });

  it('converts to imperial units', () => {
    const speed = toPreferred(80.4672, 'km/h', IMPERIAL);
    expect(speed.unit).toBe('mph');
    expect(speed.value).toBeCloseTo(50, 9);
    expect(toPreferred(100, 'km', IMPERIAL).unit).toBe('mi');
    expect(toPreferred(20, '°C', IMPERIAL)).toEqual({ value: 68, unit: '°F' });
    expect(toPreferred(2, 'bar', IMPERIAL).unit).toBe('psi');
    expect(toPreferred(150, 'Wh/km', IMPERIAL).value).toBeCloseTo(241.4016, 4);
  });

  it('mixes preferences: miles with Celsius and kPa', () => {
    const prefs = { distance: 'mi', temperature: 'C', pressure: 'kPa' } as const;
    expect(toPreferred(10, 'km', prefs).unit).toBe('mi');
    expect(toPreferred(10, '°C', prefs)).toEqual({ value: 10, unit: '°C' });
    expect(toPreferred(2.9, 'bar', prefs).value).toBeCloseTo(290, 9);
  });

  it('passes through units it does not convert, and unknown ones', () => {
    expect(toPreferred(75, 'kWh', IMPERIAL)).toEqual({ value: 75, unit: 'kWh' });
    expect(toPreferred(61.7, '%', IMPERIAL)).toEqual({ value: 61.7, unit: '%' });
    expect(toPreferred(3, 'furlongs', IMPERIAL)).toEqual({ value: 3, unit: 'furlongs' });
    expect(toPreferred(3, null, IMPERIAL)).toEqual({ value: 3, unit: '' });
  });
});

describe('defaultUnits', () => {
  it('follows the region of the locale', () => {
    expect(defaultUnits('en-US')).toEqual(IMPERIAL);
    expect(defaultUnits('en-GB')).toEqual({ distance: 'mi', temperature: 'C', pressure: 'bar' });
    expect(defaultUnits('de-DE')).toEqual(METRIC);
    expect(defaultUnits('de')).toEqual(METRIC);
  });

  it('falls back to metric for a tag it cannot read', () => {
    expect(defaultUnits('not a locale')).toEqual(METRIC);
  });
});
