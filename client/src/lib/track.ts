// A GPS track drawn without a map library: latitude and longitude projected onto a box (equirectangular,
// east-west shrunk by the cosine of the latitude, which is right enough for the size of a drive), fitted
// and centred with its aspect kept.

export interface LatLon {
  latitude: number;
  longitude: number;
}

export interface Projected {
  x: number;
  y: number;
}

export interface Projection {
  points: Projected[];
  /** Degrees per SVG unit, and the box's geographic origin: for drawing tiles behind the track. */
  scale: number;
}

export function projectTrack(track: readonly LatLon[], width: number, height: number, padding = 8): Projection {
  const valid = track.filter(
    (p) => Number.isFinite(p.latitude) && Number.isFinite(p.longitude) && Math.abs(p.latitude) <= 90 && Math.abs(p.longitude) <= 180,
  );
  if (valid.length === 0) return { points: [], scale: 0 };
  const meanLat = valid.reduce((sum, p) => sum + p.latitude, 0) / valid.length;
  const kx = Math.cos((meanLat * Math.PI) / 180);
  const xs = valid.map((p) => p.longitude * kx);
  const ys = valid.map((p) => p.latitude);
  const minX = Math.min(...xs);
  const maxX = Math.max(...xs);
  const minY = Math.min(...ys);
  const maxY = Math.max(...ys);
  const spanX = maxX - minX;
  const spanY = maxY - minY;
  const innerW = Math.max(0, width - 2 * padding);
  const innerH = Math.max(0, height - 2 * padding);
  const span = Math.max(spanX / (innerW || 1), spanY / (innerH || 1));
  // a single point, or a car that did not move: the middle of the box
  const scale = span > 0 ? 1 / span : 0;
  const offsetX = padding + (innerW - spanX * scale) / 2;
  const offsetY = padding + (innerH - spanY * scale) / 2;
  const points = valid.map((_, i) => ({
    x: round2(offsetX + ((xs[i] as number) - minX) * scale),
    // north is up: SVG's y grows downwards
    y: round2(offsetY + (maxY - (ys[i] as number)) * scale),
  }));
  return { points, scale };
}

/** The `points` attribute of an SVG polyline. */
export function polylinePoints(points: readonly Projected[]): string {
  return points.map((p) => `${p.x},${p.y}`).join(' ');
}

const round2 = (v: number): number => Math.round(v * 100) / 100;
