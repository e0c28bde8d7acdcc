// Telemetry values as the pages show them: the latest per field (never moving back in time) and their
// text in the user's units and language.

import type { MessageKey } from '../i18n/en';
import type { Params } from '../i18n/translate';
import { formatCoordinates, formatDuration, formatMeasure, formatNumber } from './format';
import type { UnitPreferences } from './units';

export interface SignalValue {
  name: string;
  value?: unknown;
  unit?: string | null | undefined;
  at: string;
  approximate?: boolean | undefined;
}

export type SignalMap = Readonly<Record<string, SignalValue>>;

export function toSignalMap(signals: readonly SignalValue[] | null | undefined): SignalMap {
  const map: Record<string, SignalValue> = {};
  for (const signal of signals ?? []) map[signal.name] = signal;
  return map;
}

/** The map with `update` in it, unless what is there is newer: a late value never hides a fresher one. */
export function mergeSignal(map: SignalMap, update: SignalValue): SignalMap {
  const current = map[update.name];
  if (current && Date.parse(current.at) > Date.parse(update.at)) return map;
  return { ...map, [update.name]: update };
}

/** Every value of `incoming` merged over `base`, each field keeping whichever is newer. */
export function mergeSignals(base: SignalMap, incoming: SignalMap): SignalMap {
  let result = base;
  for (const signal of Object.values(incoming)) result = mergeSignal(result, signal);
  return result;
}

/** "DriverFront" → "Driver front", "NoPower" → "No power". */
export function humanize(name: string): string {
  const words = name
    .replace(/_/g, ' ')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .trim()
    .toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export interface DisplayContext {
  locale: string;
  units: UnitPreferences;
  t: (key: MessageKey, params?: Params) => string;
}

function isLocation(value: unknown): value is { latitude: number; longitude: number } {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { latitude?: unknown }).latitude === 'number' &&
    typeof (value as { longitude?: unknown }).longitude === 'number'
  );
}

/** A signal's value as text: "61.7%", "180 mi", "Locked", "All closed", "52.52097, 13.41730". */
export function displaySignal(signal: SignalValue | undefined, ctx: DisplayContext): string {
  if (!signal || signal.value === null || signal.value === undefined) return ctx.t('car.noValue');
  const { name, value, unit } = signal;
  if (name === 'Locked' && typeof value === 'boolean') return ctx.t(value ? 'value.locked' : 'value.unlocked');
  if (name === 'DoorState' && typeof value === 'object' && !Array.isArray(value)) {
    const open = Object.entries(value as Record<string, unknown>)
      .filter(([, isOpen]) => isOpen === true)
      .map(([door]) => humanize(door));
    return open.length === 0 ? ctx.t('car.doorsClosed') : ctx.t('car.doorsOpen', { doors: open.join(', ') });
  }
  if (isLocation(value)) return formatCoordinates(value.latitude, value.longitude, ctx.locale);
  if (typeof value === 'number') {
    if (unit === 'h') return formatDuration(value * 3600, ctx.locale);
    if (unit === 'deg') return `${formatNumber(value, ctx.locale)}°`;
    return unit ? formatMeasure(value, unit, ctx.locale, ctx.units) : formatNumber(value, ctx.locale, 1);
  }
  if (typeof value === 'boolean') return ctx.t(value ? 'value.yes' : 'value.no');
  if (typeof value === 'string') return value.length <= 2 ? value : humanize(value);
  return JSON.stringify(value);
}
