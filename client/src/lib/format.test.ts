import { describe, expect, it } from 'vitest';
import {
  formatDistance,
  formatCoordinates,
  formatDateTime,
  formatDuration,
  formatMeasure,
  formatMoney,
  formatNumber,
  formatQuantity,
  formatRelative,
  formatTime,
} from './format';
import { IMPERIAL, METRIC } from './units';

// Intl puts no-break spaces (U+00A0, U+202F) where a plain space would break a value; compare with plain ones
const plain = (text: string | null) => text?.replace(/[\u00a0\u202f]/g, ' ');

describe('numbers and quantities', () => {
  it('formats numbers for the locale', () => {
    expect(formatNumber(50307.852, 'en', 1)).toBe('50,307.9');
    expect(formatNumber(50307.852, 'de', 1)).toBe('50.307,9');
  });

  it('writes units Intl knows the Intl way', () => {
    expect(plain(formatQuantity(52, 'km/h', 'en'))).toBe('52 km/h');
    expect(plain(formatQuantity(61.7, '%', 'en'))).toBe('61.7%');
    expect(plain(formatQuantity(61.7, '%', 'de'))).toBe('61,7 %');
    expect(plain(formatQuantity(11.3, '°C', 'en'))).toBe('11.3°C');
    expect(plain(formatQuantity(292.4, 'km', 'en'))).toBe('292 km');
  });

  it('writes other units after the number', () => {
    expect(plain(formatQuantity(2.876, 'bar', 'en'))).toBe('2.88 bar');
    expect(plain(formatQuantity(7.44, 'kW', 'de'))).toBe('7,4 kW');
    expect(plain(formatQuantity(47.71, 'kWh', 'en'))).toBe('47.7 kWh');
    expect(formatQuantity(3, null, 'en')).toBe('3');
  });

  it('converts and formats a metric measure', () => {
    expect(plain(formatMeasure(80.4672, 'km/h', 'en-US', IMPERIAL))).toBe('50 mph');
    expect(plain(formatMeasure(291.774, 'km', 'en-US', IMPERIAL))).toBe('181 mi');
    expect(plain(formatMeasure(20, '°C', 'en-US', IMPERIAL))).toBe('68.0°F');
    expect(plain(formatMeasure(2.9, 'bar', 'en-US', IMPERIAL))).toBe('42.1 psi');
    expect(plain(formatMeasure(2.9, 'bar', 'en-GB', METRIC))).toBe('2.90 bar');
  });
});

describe('dates and times', () => {
  const at = '2026-11-28T08:10:25.854364+00:00';

  it('formats in the chosen time zone', () => {
    expect(plain(formatDateTime(at, { locale: 'en-GB', timeZone: 'Europe/Berlin' }))).toBe('28 Nov 2026, 09:10');
    expect(plain(formatDateTime(at, { locale: 'en-US', timeZone: 'America/New_York' }))).toBe('Nov 28, 2026, 3:10 AM');
    expect(plain(formatTime(at, { locale: 'de-DE', timeZone: 'UTC' }))).toBe('08:10:25');
  });

  it('says how long ago', () => {
    const now = new Date('2026-11-28T08:15:25Z');
    expect(formatRelative(at, now, 'en')).toBe('5 minutes ago');
    expect(formatRelative('2026-11-28T08:15:20Z', now, 'en')).toBe('5 seconds ago');
    expect(formatRelative('2026-11-28T08:15:25Z', now, 'en')).toBe('now');
    expect(formatRelative('2026-11-28T10:15:25Z', now, 'en')).toBe('in 2 hours');
    expect(formatRelative('2026-11-27T08:15:25Z', now, 'de')).toBe('gestern');
  });

  it('formats durations', () => {
    expect(plain(formatDuration(45, 'en'))).toBe('45 s');
    expect(plain(formatDuration(12 * 60 + 10, 'en'))).toBe('12 min');
    expect(plain(formatDuration(3900, 'en'))).toBe('1 h 05 min');
  });
});

describe('money', () => {
  it('formats Decimal strings in their currency', () => {
    expect(plain(formatMoney('12.345', 'EUR', 'de-DE'))).toBe('12,35 €');
    expect(formatMoney('0.32', 'USD', 'en-US')).toBe('$0.32');
    expect(formatMoney(1200, 'JPY', 'en-US')).toBe('¥1,200');
  });

  it('keeps unknown amounts unknown', () => {
    expect(formatMoney(null, 'EUR', 'en')).toBeNull();
    expect(formatMoney('', 'EUR', 'en')).toBeNull();
    expect(formatMoney('n/a', 'EUR', 'en')).toBeNull();
  });
});

describe('coordinates', () => {
  it('separates the two numbers unambiguously', () => {
    expect(formatCoordinates(52.5209661, 13.417301, 'en')).toBe('52.52097, 13.41730');
    expect(formatCoordinates(52.5209661, 13.417301, 'de')).toBe('52,52097; 13,41730');
  });
});

describe('formatDistance', () => {
  it('keeps a decimal for short drives, in the chosen unit', () => {
    expect(formatDistance(0.34, 'en', METRIC)).toBe('0.3 km');
    expect(formatDistance(16.09344, 'en', IMPERIAL)).toBe('10.0 mi');
  });
});
