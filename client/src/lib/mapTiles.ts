// Where a map's tiles come from: the server's `clientConfig` (TESLASYNC_MAP_TILE_URL), unless this browser
// overrides it under Settings. Nothing is wired to one provider; without a template maps draw on a plain
// background and fetch nothing.

import type { BaseKey } from '../i18n/en';

/** The placeholders an XYZ template may use: {z} {x} {y} (or {-y}, TMS rows), {s} sub-domain, {r} "@2x". */
const PLACEHOLDERS = new Set(['z', 'x', 'y', '-y', 's', 'r']);

/** The zoom tiles have when the template is this browser's own (most XYZ servers go to 19). */
export const DEFAULT_MAX_ZOOM = 19;

/**
 * Why `template` is not a usable XYZ tile URL, as a message key; null when it is. An http(s) URL (or a path
 * on this server, starting with `/`) with {z}, {x} and {y} (or {-y}) and no other placeholder.
 */
export function tileTemplateProblem(template: string): BaseKey | null {
  const text = template.trim();
  if (!text) return 'map.tiles.errorEmpty';
  if (/\s/.test(text)) return 'map.tiles.errorUrl';
  const names = [...text.matchAll(/\{([^{}]*)\}/g)].map((m) => m[1] ?? '');
  if (names.some((name) => !PLACEHOLDERS.has(name))) return 'map.tiles.errorPlaceholder';
  // braces left over once the placeholders are gone: unbalanced or nested
  if (/[{}]/.test(text.replace(/\{[^{}]*\}/g, ''))) return 'map.tiles.errorPlaceholder';
  if (!names.includes('z') || !names.includes('x') || !(names.includes('y') || names.includes('-y'))) return 'map.tiles.errorXyz';
  if (text.startsWith('/') && !text.startsWith('//')) return null;
  try {
    // placeholders are not valid in a host name: try it with sample values
    const url = new URL(expandTileUrl(text, { z: 1, x: 0, y: 0 }));
    if ((url.protocol !== 'https:' && url.protocol !== 'http:') || !url.hostname) return 'map.tiles.errorUrl';
  } catch {
    return 'map.tiles.errorUrl';
  }
  return null;
}

/** The Settings field's check: empty is fine (the server's tiles), anything else must be a valid template. */
export function tileOverrideProblem(template: string | undefined): BaseKey | null {
  return template?.trim() ? tileTemplateProblem(template) : null;
}

export function validTileTemplate(template: unknown): template is string {
  return typeof template === 'string' && tileTemplateProblem(template) === null;
}

export interface TileCoords {
  z: number;
  x: number;
  y: number;
}

/**
 * One tile's URL, as Leaflet makes it: {s} from a, b, c by the tile's position, {r} "@2x" on a sharp
 * screen, {-y} the row counted from the south (TMS).
 */
export function expandTileUrl(template: string, { z, x, y }: TileCoords, options: { retina?: boolean; subdomains?: string } = {}): string {
  const subdomains = options.subdomains ?? 'abc';
  const values: Record<string, string> = {
    z: String(z),
    x: String(x),
    y: String(y),
    '-y': String(2 ** z - 1 - y),
    s: subdomains.charAt(Math.abs(x + y) % subdomains.length),
    r: options.retina ? '@2x' : '',
  };
  return template.replace(/\{([^{}]*)\}/g, (whole, name: string) => values[name] ?? whole);
}

export interface ServerTiles {
  mapTileUrl?: string | null | undefined;
  mapTileAttribution?: string | null | undefined;
  mapMaxZoom?: number | null | undefined;
}

export interface BrowserTiles {
  /** This browser's template; empty or missing: the server's. */
  mapTileUrl?: string | undefined;
  mapTileAttribution?: string | undefined;
}

export interface TileSource {
  url: string;
  /** Plain text, shown on every map with these tiles; empty when none is known. */
  attribution: string;
  maxZoom: number;
  from: 'server' | 'browser';
}

/** The tiles maps use: this browser's template if it set a valid one, else the server's, else none (null). */
export function resolveTileSource(server: ServerTiles | null | undefined, browser: BrowserTiles | null | undefined): TileSource | null {
  const own = browser?.mapTileUrl?.trim();
  const serverMax = server?.mapMaxZoom && server.mapMaxZoom > 0 ? Math.min(server.mapMaxZoom, 22) : DEFAULT_MAX_ZOOM;
  if (own && validTileTemplate(own)) {
    const same = own === server?.mapTileUrl?.trim();
    // the server's credit belongs to the server's tiles: with other tiles, the user's own, else their host
    const attribution = browser?.mapTileAttribution?.trim() || (same ? (server?.mapTileAttribution ?? '').trim() : tileHost(own));
    return { url: own, attribution, maxZoom: same ? serverMax : DEFAULT_MAX_ZOOM, from: 'browser' };
  }
  const url = server?.mapTileUrl?.trim();
  if (url && validTileTemplate(url)) {
    return { url, attribution: (server?.mapTileAttribution ?? '').trim(), maxZoom: serverMax, from: 'server' };
  }
  return null;
}

/** "tile.example.org" of a template: the credit shown when nothing better is known. */
export function tileHost(template: string): string {
  if (/^\/(?!\/)/.test(template.trim())) return '';
  try {
    return new URL(expandTileUrl(template, { z: 0, x: 0, y: 0 }), 'http://localhost').hostname.replace(/^a\./, '');
  } catch {
    return '';
  }
}
