// Unit conversion at the edge: the API stores and sends metric (km, km/h, °C, bar, kWh, kW); the client
// shows what the user chose. Pure functions, no formatting (see format.ts).

export type DistanceUnit = 'km' | 'mi';
export type TemperatureUnit = 'C' | 'F';
export type PressureUnit = 'bar' | 'psi' | 'kPa';

export interface UnitPreferences {
  distance: DistanceUnit;
  temperature: TemperatureUnit;
  pressure: PressureUnit;
}

export const METRIC: UnitPreferences = { distance: 'km', temperature: 'C', pressure: 'bar' };
export const IMPERIAL: UnitPreferences = { distance: 'mi', temperature: 'F', pressure: 'psi' };

export const KM_PER_MI = 1.609344;
export const PSI_PER_BAR = 14.503773773;
export const KPA_PER_BAR = 100;

export const kmToMi = (km: number): number => km / KM_PER_MI;
export const miToKm = (mi: number): number => mi * KM_PER_MI;
export const cToF = (c: number): number => (c * 9) / 5 + 32;
export const fToC = (f: number): number => ((f - 32) * 5) / 9;
export const barToPsi = (bar: number): number => bar * PSI_PER_BAR;
export const psiToBar = (psi: number): number => psi / PSI_PER_BAR;

/** Regions that drive in miles and read Fahrenheit and psi by default. */
const IMPERIAL_REGIONS = new Set(['US', 'LR', 'MM']);
/** Miles on the road, Celsius and bar otherwise. */
const MILES_REGIONS = new Set(['GB']);

/** Sensible defaults for a locale: en-US gets miles, °F and psi; en-GB miles with °C and bar. */
export function defaultUnits(locale: string): UnitPreferences {
  let region: string | undefined;
  try {
    region = new Intl.Locale(locale).maximize().region;
  } catch {
    region = undefined;
  }
  if (region && IMPERIAL_REGIONS.has(region)) return { ...IMPERIAL };
  if (region && MILES_REGIONS.has(region)) return { ...METRIC, distance: 'mi' };
  return { ...METRIC };
}

export interface Quantity {
  value: number;
  /** The unit after conversion, as the API spells units (km, mi, km/h, mph, °C, °F, bar, psi, kPa, ...). */
  unit: string;
}

/**
 * A metric value in the unit the user prefers. Units the preferences do not cover (%, kWh, kW, V, A, h,
 * deg) come back unchanged, and so does an unknown unit: a value is never dropped.
 */
export function toPreferred(value: number, unit: string | null | undefined, prefs: UnitPreferences): Quantity {
  const u = unit ?? '';
  switch (u) {
    case 'km':
      return prefs.distance === 'mi' ? { value: kmToMi(value), unit: 'mi' } : { value, unit: u };
    case 'm':
      return prefs.distance === 'mi' ? { value: value * 3.280839895, unit: 'ft' } : { value, unit: u };
    case 'km/h':
      return prefs.distance === 'mi' ? { value: kmToMi(value), unit: 'mph' } : { value, unit: u };
    case 'Wh/km':
      return prefs.distance === 'mi' ? { value: value * KM_PER_MI, unit: 'Wh/mi' } : { value, unit: u };
    case '°C':
      return prefs.temperature === 'F' ? { value: cToF(value), unit: '°F' } : { value, unit: u };
    case 'bar':
      if (prefs.pressure === 'psi') return { value: barToPsi(value), unit: 'psi' };
      if (prefs.pressure === 'kPa') return { value: value * KPA_PER_BAR, unit: 'kPa' };
      return { value, unit: u };
    default:
      return { value, unit: u };
  }
}

/** How many fraction digits a unit deserves on screen. */
export function fractionDigits(unit: string): number {
  switch (unit) {
    case 'bar':
      return 2;
    case 'psi':
    case 'kPa':
    case '°C':
    case '°F':
    case '%':
    case 'kW':
    case 'kWh':
    case 'h':
      return 1;
    default:
      return 0;
  }
}
