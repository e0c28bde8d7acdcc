// The user's preferences as the API keeps them (`me { preferences }`, `setPreferences`) and this browser's
// settings (settings.ts), both ways. At start the server's values win where they are set; what is unset there
// keeps this browser's value (or its default). Saving sends them whole.

import type {
  DistanceUnit as ApiDistanceUnit,
  PreferencesInput,
  PressureUnit as ApiPressureUnit,
  TemperatureUnit as ApiTemperatureUnit,
} from '../gql/graphql';
import { validTileTemplate } from './mapTiles';
import { validCurrency, validLocale, validTimeZone, type Settings } from './settings';
import type { DistanceUnit, PressureUnit, TemperatureUnit, UnitPreferences } from './units';

/** `me.preferences` as the API sends it: each value null when the user has not set it. */
export interface ServerPreferences {
  locale?: string | null;
  distanceUnit?: ApiDistanceUnit | null;
  temperatureUnit?: ApiTemperatureUnit | null;
  pressureUnit?: ApiPressureUnit | null;
  currency?: string | null;
  timeZone?: string | null;
  mapTileUrl?: string | null;
  mapTileAttribution?: string | null;
}

const DISTANCE_TO_API: Record<DistanceUnit, ApiDistanceUnit> = { km: 'KM', mi: 'MI' };
const TEMPERATURE_TO_API: Record<TemperatureUnit, ApiTemperatureUnit> = { C: 'CELSIUS', F: 'FAHRENHEIT' };
const PRESSURE_TO_API: Record<PressureUnit, ApiPressureUnit> = { bar: 'BAR', psi: 'PSI', kPa: 'KPA' };

function invert<K extends string, V extends string>(map: Record<K, V>): Record<V, K> {
  return Object.fromEntries(Object.entries(map).map(([k, v]) => [v, k])) as Record<V, K>;
}

const DISTANCE_FROM_API = invert(DISTANCE_TO_API);
const TEMPERATURE_FROM_API = invert(TEMPERATURE_TO_API);
const PRESSURE_FROM_API = invert(PRESSURE_TO_API);

/** A unit the API sent, in the client's terms; undefined for null or a value this client does not know. */
function fromApi<V extends string, K extends string>(map: Record<V, K>, value: V | null | undefined): K | undefined {
  return value != null && Object.hasOwn(map, value) ? map[value] : undefined;
}

export const distanceFromApi = (unit: ApiDistanceUnit | null | undefined): DistanceUnit | undefined => fromApi(DISTANCE_FROM_API, unit);
export const temperatureFromApi = (unit: ApiTemperatureUnit | null | undefined): TemperatureUnit | undefined => fromApi(TEMPERATURE_FROM_API, unit);
export const pressureFromApi = (unit: ApiPressureUnit | null | undefined): PressureUnit | undefined => fromApi(PRESSURE_FROM_API, unit);
export const distanceToApi = (unit: DistanceUnit): ApiDistanceUnit => DISTANCE_TO_API[unit];
export const temperatureToApi = (unit: TemperatureUnit): ApiTemperatureUnit => TEMPERATURE_TO_API[unit];
export const pressureToApi = (unit: PressureUnit): ApiPressureUnit => PRESSURE_TO_API[unit];

/** What the server has set and this client can use: a missing key is unset there (or not valid here). */
export interface SettingsPatch {
  locale?: string;
  units?: Partial<UnitPreferences>;
  currency?: string;
  timeZone?: string;
  mapTileUrl?: string;
  mapTileAttribution?: string;
}

const text = (value: string | null | undefined): string | undefined => {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
};

/** The server's preferences as settings: only the values set there and valid in this browser. */
export function settingsFromServer(preferences: ServerPreferences | null | undefined): SettingsPatch {
  if (!preferences) return {};
  const patch: SettingsPatch = {};
  const locale = text(preferences.locale);
  if (validLocale(locale)) patch.locale = locale;
  const units: Partial<UnitPreferences> = {};
  const distance = distanceFromApi(preferences.distanceUnit);
  const temperature = temperatureFromApi(preferences.temperatureUnit);
  const pressure = pressureFromApi(preferences.pressureUnit);
  if (distance) units.distance = distance;
  if (temperature) units.temperature = temperature;
  if (pressure) units.pressure = pressure;
  if (Object.keys(units).length > 0) patch.units = units;
  const currency = text(preferences.currency);
  if (validCurrency(currency)) patch.currency = currency;
  const timeZone = text(preferences.timeZone);
  if (validTimeZone(timeZone)) patch.timeZone = timeZone;
  // the tiles and their credit go together: the server's credit never goes with this browser's tiles
  const tiles = text(preferences.mapTileUrl);
  if (validTileTemplate(tiles)) {
    patch.mapTileUrl = tiles;
    const credit = text(preferences.mapTileAttribution);
    if (credit) patch.mapTileAttribution = credit.slice(0, 300);
  }
  return patch;
}

/** This browser's settings with the server's over them: a value set there wins, an unset one keeps ours. */
export function mergePreferences(local: Settings, preferences: ServerPreferences | null | undefined): Settings {
  const patch = settingsFromServer(preferences);
  const { mapTileUrl, mapTileAttribution, ...rest } = local;
  const merged: Settings = {
    ...rest,
    locale: patch.locale ?? local.locale,
    units: { ...local.units, ...patch.units },
    currency: patch.currency ?? local.currency,
    timeZone: patch.timeZone ?? local.timeZone,
  };
  if (patch.mapTileUrl) {
    merged.mapTileUrl = patch.mapTileUrl;
    if (patch.mapTileAttribution) merged.mapTileAttribution = patch.mapTileAttribution;
  } else {
    if (mapTileUrl !== undefined) merged.mapTileUrl = mapTileUrl;
    if (mapTileAttribution !== undefined) merged.mapTileAttribution = mapTileAttribution;
  }
  return merged;
}

/** An IANA zone as the browser spells it ("europe/berlin" → "Europe/Berlin"); unchanged if not one. */
export function canonicalTimeZone(zone: string): string {
  try {
    return new Intl.DateTimeFormat('en', { timeZone: zone.trim() }).resolvedOptions().timeZone;
  } catch {
    return zone;
  }
}

/** The settings for `setPreferences`, whole: every field, empty ones null (unset on the server). */
export function preferencesInput(settings: Settings): PreferencesInput {
  const tiles = text(settings.mapTileUrl) ?? null;
  return {
    locale: text(settings.locale) ?? null,
    distanceUnit: distanceToApi(settings.units.distance),
    temperatureUnit: temperatureToApi(settings.units.temperature),
    pressureUnit: pressureToApi(settings.units.pressure),
    currency: text(settings.currency) ?? null,
    timeZone: text(settings.timeZone) ? canonicalTimeZone(settings.timeZone) : null,
    mapTileUrl: tiles,
    // a credit without tiles of its own would be the server's tiles' credit: not kept
    mapTileAttribution: tiles ? (text(settings.mapTileAttribution) ?? null) : null,
  };
}

/** Whether two settings show the same (empty tile fields count as missing). */
export function sameSettings(a: Settings, b: Settings): boolean {
  return (
    a.locale === b.locale &&
    a.units.distance === b.units.distance &&
    a.units.temperature === b.units.temperature &&
    a.units.pressure === b.units.pressure &&
    a.currency === b.currency &&
    a.timeZone === b.timeZone &&
    (text(a.mapTileUrl) ?? '') === (text(b.mapTileUrl) ?? '') &&
    (text(a.mapTileAttribution) ?? '') === (text(b.mapTileAttribution) ?? '')
  );
}
