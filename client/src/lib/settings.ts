// The user's display settings: language and region, units, currency and time zone. Kept in this browser
// (localStorage); the defaults follow the browser's locale.

import { defaultUnits, type DistanceUnit, type PressureUnit, type TemperatureUnit, type UnitPreferences } from './units';
import { validTileTemplate } from './mapTiles';

export interface Settings {
  /** BCP 47 tag: the interface language and number/date formats. */
  locale: string;
  units: UnitPreferences;
  /** ISO 4217 code, for amounts without their own currency. */
  currency: string;
  /** IANA time zone for dates and times. */
  timeZone: string;
  /** This browser's map tiles (an XYZ template, see mapTiles.ts); missing or empty: the server's. */
  mapTileUrl?: string;
  /** The credit those tiles ask for (plain text). */
  mapTileAttribution?: string;
}

export const STORAGE_KEY = 'teslasync.settings';

const REGION_CURRENCY: Record<string, string> = {
  US: 'USD', GB: 'GBP', CA: 'CAD', AU: 'AUD', NZ: 'NZD', CH: 'CHF', NO: 'NOK', SE: 'SEK', DK: 'DKK',
  PL: 'PLN', CZ: 'CZK', JP: 'JPY', CN: 'CNY', KR: 'KRW', HK: 'HKD', SG: 'SGD', TW: 'TWD', MX: 'MXN',
};

function region(locale: string): string | undefined {
  try {
    return new Intl.Locale(locale).maximize().region;
  } catch {
    return undefined;
  }
}

export function validLocale(tag: unknown): tag is string {
  if (typeof tag !== 'string' || tag === '') return false;
  try {
    return Intl.getCanonicalLocales(tag).length === 1;
  } catch {
    return false;
  }
}

export function validTimeZone(zone: unknown): zone is string {
  if (typeof zone !== 'string' || zone === '') return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export function validCurrency(code: unknown): code is string {
  if (typeof code !== 'string' || !/^[A-Z]{3}$/.test(code)) return false;
  try {
    new Intl.NumberFormat('en', { style: 'currency', currency: code });
    return true;
  } catch {
    return false;
  }
}

export function defaultSettings(locale: string, timeZone?: string): Settings {
  const tag = validLocale(locale) ? locale : 'en';
  return {
    locale: tag,
    units: defaultUnits(tag),
    currency: REGION_CURRENCY[region(tag) ?? ''] ?? 'EUR',
    timeZone: validTimeZone(timeZone) ? timeZone : 'UTC',
  };
}

const DISTANCE: DistanceUnit[] = ['km', 'mi'];
const TEMPERATURE: TemperatureUnit[] = ['C', 'F'];
const PRESSURE: PressureUnit[] = ['bar', 'psi', 'kPa'];

function pick<T extends string>(allowed: T[], value: unknown, fallback: T): T {
  return allowed.includes(value as T) ? (value as T) : fallback;
}

/** Stored settings over the defaults; anything missing or not valid keeps its default. */
export function parseSettings(raw: string | null, defaults: Settings): Settings {
  if (!raw) return defaults;
  let stored: unknown;
  try {
    stored = JSON.parse(raw);
  } catch {
    return defaults;
  }
  if (typeof stored !== 'object' || stored === null) return defaults;
  const s = stored as Record<string, unknown>;
  const units = (typeof s.units === 'object' && s.units !== null ? s.units : {}) as Record<string, unknown>;
  const locale = validLocale(s.locale) ? s.locale : defaults.locale;
  const base = locale === defaults.locale ? defaults.units : defaultUnits(locale);
  return {
    locale,
    units: {
      distance: pick(DISTANCE, units.distance, base.distance),
      temperature: pick(TEMPERATURE, units.temperature, base.temperature),
      pressure: pick(PRESSURE, units.pressure, base.pressure),
    },
    currency: validCurrency(s.currency) ? s.currency : defaults.currency,
    timeZone: validTimeZone(s.timeZone) ? s.timeZone : defaults.timeZone,
    ...(validTileTemplate(s.mapTileUrl) ? { mapTileUrl: s.mapTileUrl.trim() } : {}),
    ...(validTileTemplate(s.mapTileUrl) && typeof s.mapTileAttribution === 'string' && s.mapTileAttribution.trim()
      ? { mapTileAttribution: s.mapTileAttribution.trim().slice(0, 300) }
      : {}),
  };
}
