// Formatting through Intl: numbers, quantities with units, dates and times, relative times, money and
// durations, all for the user's locale (and time zone). Pure functions: the settings come in as arguments.

import { fractionDigits, toPreferred, type UnitPreferences } from './units';

/** Intl's names for the units the API uses, where Intl has one; the others are written as given. */
const INTL_UNITS: Record<string, string> = {
  km: 'kilometer',
  mi: 'mile',
  m: 'meter',
  ft: 'foot',
  'km/h': 'kilometer-per-hour',
  mph: 'mile-per-hour',
  '°C': 'celsius',
  '°F': 'fahrenheit',
  '%': 'percent',
  h: 'hour',
  deg: 'degree',
  '°': 'degree',
};

const NBSP = '\u00a0';

// Intl formatters are costly to build and are asked for the same few options over and over.
const numberFormats = new Map<string, Intl.NumberFormat>();
function numberFormat(locale: string, options: Intl.NumberFormatOptions): Intl.NumberFormat {
  const key = locale + JSON.stringify(options);
  let format = numberFormats.get(key);
  if (!format) {
    format = new Intl.NumberFormat(locale, options);
    numberFormats.set(key, format);
  }
  return format;
}

export function formatNumber(value: number, locale: string, digits = 0): string {
  return numberFormat(locale, { maximumFractionDigits: digits, minimumFractionDigits: digits }).format(value);
}

/** A value with its unit, e.g. "52 km/h", "61.7%", "2.88 bar", "7.4 kW". */
export function formatQuantity(value: number, unit: string | null | undefined, locale: string, digits?: number): string {
  const u = unit ?? '';
  const d = digits ?? fractionDigits(u);
  const intlUnit = INTL_UNITS[u];
  if (intlUnit) {
    return numberFormat(locale, {
      style: 'unit',
      unit: intlUnit,
      unitDisplay: 'short',
      maximumFractionDigits: d,
      minimumFractionDigits: d,
    }).format(value);
  }
  const number = formatNumber(value, locale, d);
  return u ? `${number}${NBSP}${u}` : number;
}

/** A metric value from the API converted to the user's units and formatted. */
export function formatMeasure(value: number, unit: string | null | undefined, locale: string, prefs: UnitPreferences): string {
  const q = toPreferred(value, unit, prefs);
  return formatQuantity(q.value, q.unit, locale);
}

export interface DateOptions {
  locale: string;
  timeZone?: string | undefined;
}

function toDate(value: string | Date): Date {
  return value instanceof Date ? value : new Date(value);
}

/** Date and time, medium date and short time: "28 Nov 2026, 08:10". */
export function formatDateTime(value: string | Date, { locale, timeZone }: DateOptions): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short', timeZone }).format(toDate(value));
}

/** Time of day with seconds, for live values: "08:10:25". */
export function formatTime(value: string | Date, { locale, timeZone }: DateOptions): string {
  return new Intl.DateTimeFormat(locale, { timeStyle: 'medium', timeZone }).format(toDate(value));
}

export function formatDate(value: string | Date, { locale, timeZone }: DateOptions): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone }).format(toDate(value));
}

const RELATIVE_STEPS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['second', 60],
  ['minute', 60],
  ['hour', 24],
  ['day', 7],
  ['week', 4.348],
  ['month', 12],
  ['year', Infinity],
];

/** "5 minutes ago", "in 2 hours", "now". */
export function formatRelative(value: string | Date, now: Date, locale: string): string {
  let amount = (toDate(value).getTime() - now.getTime()) / 1000;
  const format = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  for (const [unit, size] of RELATIVE_STEPS) {
    if (Math.abs(amount) < size) return format.format(Math.round(amount), unit);
    amount /= size;
  }
  return format.format(Math.round(amount), 'year');
}

/** Money from the API's Decimal strings; null when the amount is unknown (unknown is not free). */
export function formatMoney(amount: string | number | null | undefined, currency: string, locale: string): string | null {
  if (amount === null || amount === undefined || amount === '') return null;
  const value = typeof amount === 'number' ? amount : Number(amount);
  if (!Number.isFinite(value)) return null;
  return numberFormat(locale, { style: 'currency', currency }).format(value);
}

/** A duration in seconds: "1 h 05 min", "12 min", "45 s". */
export function formatDuration(seconds: number, locale: string): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const n = (v: number, min = 1) => numberFormat(locale, { minimumIntegerDigits: min }).format(v);
  if (h > 0) return `${n(h)}${NBSP}h ${n(m, 2)}${NBSP}min`;
  if (m > 0) return `${n(m)}${NBSP}min`;
  return `${n(s)}${NBSP}s`;
}

/** Latitude and longitude, 5 decimals (about a metre): "52.52097, 13.41730" ("52,52097; 13,41730" in de). */
export function formatCoordinates(latitude: number, longitude: number, locale: string): string {
  const decimalComma = formatNumber(1.5, locale, 1).includes(',');
  return `${formatNumber(latitude, locale, 5)}${decimalComma ? ';' : ','} ${formatNumber(longitude, locale, 5)}`;
}

/** A distance from the API (km) in the user's unit, with one decimal: short drives are not "0 km". */
export function formatDistance(km: number, locale: string, prefs: UnitPreferences): string {
  const q = toPreferred(km, 'km', prefs);
  return formatQuantity(q.value, q.unit, locale, 1);
}
