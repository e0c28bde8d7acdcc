// The geofence form: a name, a centre (typed, or picked on the map), a radius in metres and the tariff,
// checked as the API checks them and turned into the GeofenceInput createGeofence/updateGeofence take.
// Errors are keyed by the input's field names, as the API's InvalidInput names them.

import type { FieldError } from './commandForm';
import type { Circle, LatLon } from './geo';

export const MAX_RADIUS_M = 100_000;
export const DEFAULT_RADIUS_M = 150;

export interface GeofenceValues {
  name: string;
  latitude: string;
  longitude: string;
  /** Metres, as the number input gives it. */
  radiusM: string;
  /** '' for no tariff. */
  tariffId: string;
}

export interface GeofenceInputShape {
  name: string;
  latitude: number;
  longitude: number;
  radiusM: number;
  tariffId: string | null;
}

/** The fields of GeofenceInput, as the API names them in its errors. */
export const GEOFENCE_KEYS = ['name', 'latitude', 'longitude', 'radiusM', 'tariffId'] as const;

export function emptyGeofenceValues(): GeofenceValues {
  return { name: '', latitude: '', longitude: '', radiusM: String(DEFAULT_RADIUS_M), tariffId: '' };
}

/** A stored geofence in the form, for editing. */
export function geofenceValues(fence: {
  name: string;
  latitude: number;
  longitude: number;
  radiusM: number;
  tariff?: { id: string } | null | undefined;
}): GeofenceValues {
  return {
    name: fence.name,
    ...positionValues(fence),
    radiusM: String(Math.round(fence.radiusM * 10) / 10),
    tariffId: fence.tariff?.id ?? '',
  };
}

/** A position as the form's text: 6 decimals (about 10 cm), the point as decimal mark. */
export function positionValues(position: LatLon): { latitude: string; longitude: string } {
  const text = (v: number) => String(Number(v.toFixed(6)));
  return { latitude: text(position.latitude), longitude: text(position.longitude) };
}

/** A decimal degree as typed: "52.52", "-0.1", "13,405" (comma as the decimal mark); null when it is none. */
export function parseDegrees(text: string): number | null {
  const s = text.trim().replace(/\u2212/g, '-').replace(',', '.');
  if (!/^[-+]?(\d+\.?\d*|\.\d+)$/.test(s)) return null;
  const value = Number(s);
  return Number.isFinite(value) ? value : null;
}

function parseRadius(text: string): number | null {
  const s = text.trim();
  if (!/^\d+(\.\d+)?$/.test(s)) return null;
  return Number(s);
}

/** The circle the form describes so far, for the map to show while typing; null until it has one. */
export function draftCircle(values: GeofenceValues): Circle | null {
  const latitude = parseDegrees(values.latitude);
  const longitude = parseDegrees(values.longitude);
  const radius = parseRadius(values.radiusM);
  if (latitude === null || longitude === null || Math.abs(latitude) > 90 || Math.abs(longitude) > 180) return null;
  return { center: { latitude, longitude }, radiusM: radius !== null && radius > 0 ? Math.min(radius, MAX_RADIUS_M) : 0 };
}

export function buildGeofenceInput(values: GeofenceValues): { input: GeofenceInputShape | null; errors: Record<string, FieldError> } {
  const errors: Record<string, FieldError> = {};
  const name = values.name.trim();
  if (!name) errors.name = { key: 'validation.required' };
  const coordinate = (key: 'latitude' | 'longitude', limit: number): number => {
    const text = values[key];
    if (!text.trim()) {
      errors[key] = { key: 'places.errorPosition' };
      return NaN;
    }
    const value = parseDegrees(text);
    if (value === null) errors[key] = { key: 'validation.number' };
    else if (Math.abs(value) > limit) errors[key] = { key: 'validation.range', params: { min: -limit, max: limit } };
    return value ?? NaN;
  };
  const latitude = coordinate('latitude', 90);
  const longitude = coordinate('longitude', 180);
  const radius = parseRadius(values.radiusM);
  if (!values.radiusM.trim()) errors.radiusM = { key: 'validation.required' };
  else if (radius === null) errors.radiusM = { key: 'validation.number' };
  else if (radius <= 0 || radius > MAX_RADIUS_M) errors.radiusM = { key: 'validation.range', params: { min: 1, max: MAX_RADIUS_M } };
  if (Object.keys(errors).length > 0) return { input: null, errors };
  return {
    input: { name, latitude, longitude, radiusM: radius as number, tariffId: values.tariffId || null },
    errors,
  };
}
