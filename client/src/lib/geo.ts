// Positions on the globe for the maps: what is a position, how far apart two are, how long a track is, and
// the box that holds a set of points and circles (what a map fits its view to).

import type { LatLon } from './track';

export type { LatLon };

/** Mean Earth radius, m (the haversine's sphere). */
export const EARTH_RADIUS_M = 6_371_008.8;
/** Metres in a degree of latitude (near enough everywhere for boxes). */
const M_PER_DEGREE = 111_320;

export function isLatLon(value: unknown): value is LatLon {
  if (typeof value !== 'object' || value === null) return false;
  const { latitude, longitude } = value as { latitude?: unknown; longitude?: unknown };
  return (
    typeof latitude === 'number' &&
    typeof longitude === 'number' &&
    Number.isFinite(latitude) &&
    Number.isFinite(longitude) &&
    Math.abs(latitude) <= 90 &&
    Math.abs(longitude) <= 180
  );
}

/** The position a `Location` signal's value holds ({ latitude, longitude }), or null. */
export function locationOf(value: unknown): LatLon | null {
  return isLatLon(value) ? { latitude: value.latitude, longitude: value.longitude } : null;
}

const rad = (deg: number): number => (deg * Math.PI) / 180;

/** Great-circle distance, m. */
export function distanceM(a: LatLon, b: LatLon): number {
  const dLat = rad(b.latitude - a.latitude);
  const dLon = rad(b.longitude - a.longitude);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.latitude)) * Math.cos(rad(b.latitude)) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** A track's length, km: the sum of its legs (points that are not positions are skipped). */
export function trackLengthKm(track: readonly LatLon[]): number {
  let total = 0;
  let previous: LatLon | null = null;
  for (const point of track) {
    if (!isLatLon(point)) continue;
    if (previous) total += distanceM(previous, point);
    previous = point;
  }
  return total / 1000;
}

export interface Bounds {
  south: number;
  west: number;
  north: number;
  east: number;
}

export interface Circle {
  center: LatLon;
  radiusM: number;
}

/** The box of a circle: its centre give or take its radius (in degrees, longitude widened by latitude). */
export function circleBounds({ center, radiusM }: Circle): Bounds {
  const r = Math.max(0, radiusM);
  const dLat = r / M_PER_DEGREE;
  const cos = Math.cos(rad(center.latitude));
  const dLon = cos > 1e-6 ? Math.min(180, r / (M_PER_DEGREE * cos)) : 180;
  return {
    south: Math.max(-90, center.latitude - dLat),
    north: Math.min(90, center.latitude + dLat),
    west: Math.max(-180, center.longitude - dLon),
    east: Math.min(180, center.longitude + dLon),
  };
}

/** The northernmost point of a circle, where a map writes its name (its centre stays visible). */
export function northEdge({ center, radiusM }: Circle): LatLon {
  return { latitude: Math.min(90, center.latitude + Math.max(0, radiusM) / M_PER_DEGREE), longitude: center.longitude };
}

/** The smallest box holding every point and circle; null when there is nothing to hold. */
export function boundsOf(points: readonly LatLon[], circles: readonly Circle[] = []): Bounds | null {
  let box: Bounds | null = null;
  const grow = (b: Bounds) => {
    box = box
      ? { south: Math.min(box.south, b.south), west: Math.min(box.west, b.west), north: Math.max(box.north, b.north), east: Math.max(box.east, b.east) }
      : b;
  };
  for (const p of points) if (isLatLon(p)) grow({ south: p.latitude, north: p.latitude, west: p.longitude, east: p.longitude });
  for (const c of circles) if (isLatLon(c.center) && Number.isFinite(c.radiusM)) grow(circleBounds(c));
  return box;
}

/** Whether the box is a single point (a parked car): a map shows it at a street-level zoom instead of fitting. */
export function isPoint(bounds: Bounds): boolean {
  return bounds.north - bounds.south < 1e-7 && bounds.east - bounds.west < 1e-7;
}
