// The tariff form (docs/analytics.md, "Costs"): a name, a currency, the time zone of the windows, base
// prices per kWh and per minute, a session fee, free Supercharging, and time-of-use windows (weekdays, a
// local start and end, their own prices). Checked as far as the client can (the API finds overlapping
// windows and names them), and turned into the TariffInput createTariff/updateTariff take. Errors are keyed
// by the input's field names, as the API's InvalidInput names them: `pricePerKwh`, `windows[1].start`.

import type { FieldError } from './commandForm';
import { validCurrency, validTimeZone } from './settings';

export const WEEKDAYS = ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY'] as const;
export type Weekday = (typeof WEEKDAYS)[number];
const WORKDAYS: Weekday[] = ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY'];

export interface WindowValues {
  weekdays: Weekday[];
  /** HH:MM, as an <input type="time"> gives it. */
  start: string;
  end: string;
  pricePerKwh: string;
  pricePerMinute: string;
}

export interface TariffValues {
  name: string;
  currency: string;
  timezone: string;
  pricePerKwh: string;
  pricePerMinute: string;
  sessionFee: string;
  freeSupercharging: boolean;
  windows: WindowValues[];
}

export interface TouWindowInputShape {
  weekdays: Weekday[];
  start: string;
  end: string;
  pricePerKwh: string;
  pricePerMinute: string | null;
}

export interface TariffInputShape {
  name: string;
  currency: string;
  timezone: string;
  pricePerKwh: string | null;
  pricePerMinute: string | null;
  sessionFee: string | null;
  windows: TouWindowInputShape[];
  freeSupercharging: boolean;
}

/** A stored tariff, as the API gives it. */
export interface TariffShape {
  name: string;
  currency: string;
  timezone: string;
  pricePerKwh?: string | null | undefined;
  pricePerMinute?: string | null | undefined;
  sessionFee?: string | null | undefined;
  freeSupercharging: boolean;
  windows: readonly {
    weekdays: readonly string[];
    start: string;
    end: string;
    pricePerKwh: string;
    pricePerMinute?: string | null | undefined;
  }[];
}

export function emptyTariffValues(currency: string, timezone: string): TariffValues {
  return { name: '', currency, timezone, pricePerKwh: '', pricePerMinute: '', sessionFee: '', freeSupercharging: false, windows: [] };
}

/** A new window: weekday nights, the usual cheap hours. */
export function emptyWindowValues(): WindowValues {
  return { weekdays: [...WORKDAYS], start: '22:00', end: '06:00', pricePerKwh: '', pricePerMinute: '' };
}

const isWeekday = (day: string): day is Weekday => (WEEKDAYS as readonly string[]).includes(day);

/** A stored tariff in the form, for editing. */
export function tariffValues(tariff: TariffShape): TariffValues {
  return {
    name: tariff.name,
    currency: tariff.currency,
    timezone: tariff.timezone,
    pricePerKwh: tariff.pricePerKwh ?? '',
    pricePerMinute: tariff.pricePerMinute ?? '',
    sessionFee: tariff.sessionFee ?? '',
    freeSupercharging: tariff.freeSupercharging,
    windows: tariff.windows.map((w) => ({
      weekdays: w.weekdays.filter(isWeekday),
      start: w.start,
      end: w.end,
      pricePerKwh: w.pricePerKwh,
      pricePerMinute: w.pricePerMinute ?? '',
    })),
  };
}

/**
 * A price as typed ("0.32", "0,32", ".5") as the Decimal text the API takes ("0.32", "0.5"), digits kept as
 * given (no float rounding); null when it is not a price. Negative prices are not prices.
 */
export function parsePrice(text: string): string | null {
  const s = text.trim().replace(',', '.');
  if (!/^(\d+\.?\d*|\.\d+)$/.test(s)) return null;
  const [whole = '0', fraction = ''] = s.split('.');
  const digits = whole.replace(/^0+(?=\d)/, '') || '0';
  return fraction ? `${digits}.${fraction}` : digits;
}

/** "22:00" → minutes of the day; "7:5", "24:00", "22:00:30" → null. */
export function parseClock(text: string): number | null {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(text.trim());
  return m ? Number(m[1]) * 60 + Number(m[2]) : null;
}

/** The form's keys for its fields, as the API names them, so each of its problems lands beside its field. */
export function tariffFormKeys(values: Pick<TariffValues, 'windows'>): string[] {
  const keys = ['name', 'currency', 'timezone', 'pricePerKwh', 'pricePerMinute', 'sessionFee', 'freeSupercharging'];
  values.windows.forEach((_, i) => {
    for (const field of ['', '.weekdays', '.start', '.end', '.pricePerKwh', '.pricePerMinute']) keys.push(`windows[${i}]${field}`);
  });
  return keys;
}

export function buildTariffInput(values: TariffValues): { input: TariffInputShape | null; errors: Record<string, FieldError> } {
  const errors: Record<string, FieldError> = {};
  const name = values.name.trim();
  if (!name) errors.name = { key: 'validation.required' };
  const currency = values.currency.trim().toUpperCase();
  if (!validCurrency(currency)) errors.currency = { key: 'tariffs.errorCurrency' };
  const timezone = values.timezone.trim();
  if (!validTimeZone(timezone)) errors.timezone = { key: 'tariffs.errorTimeZone' };
  /** An optional price: null when left empty. */
  const price = (key: string, text: string, required = false): string | null => {
    if (!text.trim()) {
      if (required) errors[key] = { key: 'validation.required' };
      return null;
    }
    const value = parsePrice(text);
    if (value === null) errors[key] = { key: 'tariffs.errorPrice' };
    return value;
  };
  const pricePerKwh = price('pricePerKwh', values.pricePerKwh);
  const pricePerMinute = price('pricePerMinute', values.pricePerMinute);
  const sessionFee = price('sessionFee', values.sessionFee);
  const windows = values.windows.map((w, i): TouWindowInputShape => {
    const at = `windows[${i}]`;
    if (w.weekdays.length === 0) errors[`${at}.weekdays`] = { key: 'tariffs.errorWeekdays' };
    const start = parseClock(w.start);
    const end = parseClock(w.end);
    if (start === null) errors[`${at}.start`] = { key: 'tariffs.errorClock' };
    if (end === null) errors[`${at}.end`] = { key: 'tariffs.errorClock' };
    if (start !== null && start === end) errors[`${at}.end`] = { key: 'tariffs.errorSameTime' };
    return {
      // in the week's order, each once
      weekdays: WEEKDAYS.filter((day) => w.weekdays.includes(day)),
      start: w.start.trim(),
      end: w.end.trim(),
      pricePerKwh: price(`${at}.pricePerKwh`, w.pricePerKwh, true) ?? '',
      pricePerMinute: price(`${at}.pricePerMinute`, w.pricePerMinute),
    };
  });
  if (windows.length === 0 && pricePerKwh === null && pricePerMinute === null && sessionFee === null && !errors.pricePerKwh) {
    errors.pricePerKwh = { key: 'tariffs.errorNoPrice' };
  }
  if (Object.keys(errors).length > 0) return { input: null, errors };
  return {
    input: { name, currency, timezone, pricePerKwh, pricePerMinute, sessionFee, windows, freeSupercharging: values.freeSupercharging },
    errors,
  };
}

/**
 * Weekdays as short runs in the week's order: Monday-Friday → [['MONDAY', 'FRIDAY']], Monday, Wednesday →
 * [['MONDAY'], ['WEDNESDAY']]. A page turns each run into "Mon–Fri" in the user's language.
 */
export function weekdayRuns(days: readonly string[]): Weekday[][] {
  const set = new Set(days);
  const runs: Weekday[][] = [];
  let run: Weekday[] = [];
  for (const day of WEEKDAYS) {
    if (set.has(day)) {
      run.push(day);
    } else if (run.length) {
      runs.push(run);
      run = [];
    }
  }
  if (run.length) runs.push(run);
  // a run of one or two days is listed day by day ("Sat, Sun" reads better than "Sat–Sun")
  return runs.flatMap((r) => (r.length <= 2 ? r.map((d) => [d]) : [[r[0] as Weekday, r[r.length - 1] as Weekday]]));
}

/** A weekday's name in the user's language: "Mon", "Montag". */
export function weekdayName(day: Weekday, locale: string, width: 'short' | 'long' = 'short'): string {
  // 1 January 2024 was a Monday
  const date = new Date(Date.UTC(2024, 0, 1 + WEEKDAYS.indexOf(day), 12));
  return new Intl.DateTimeFormat(locale, { weekday: width, timeZone: 'UTC' }).format(date);
}

/** The days of a window as text: "Mon–Fri", "Sat, Sun", "Mon, Wed". */
export function weekdaysText(days: readonly string[], locale: string): string {
  return weekdayRuns(days)
    .map((run) => run.map((day) => weekdayName(day, locale)).join('–'))
    .join(', ');
}
