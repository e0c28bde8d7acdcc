// What the service worker does with each request, as pure functions: the build compiles this file into
// dist/sw.js (see pwa/plugin.ts), so it must not import anything. The worker itself is pwa/sw.js.
//
// - the API (/graphql, health, metrics, the Tesla sign-in callback, export downloads) and anything of
//   another origin: never answered by the worker, never cached;
// - /assets/* (names carry a content hash) and the files precached at install: cache first;
// - page navigations: the network first, the cached index.html when it cannot be reached.

export type Strategy = 'network' | 'cache-first' | 'navigation';

export interface RequestFacts {
  url: string;
  method: string;
  /** Request.mode: 'navigate' for a page load. */
  mode: string;
}

/** Prefix of every cache this app's worker makes: others' caches on the same origin are left alone. */
export const CACHE_PREFIX = 'teslasync-';

/** The app shell, served for a page navigation when the network is down. */
export const SHELL = '/index.html';

const API_PATHS = new Set(['/graphql', '/healthz', '/readyz', '/metrics', '/sw.js']);
// the client's own route is /exports; anything below it (/exports/<id>/download) is the API's
const API_PREFIXES = ['/graphql/', '/auth/', '/exports/'];

/** Whether the API, not the web client, answers this path. */
export function isApiPath(path: string): boolean {
  return API_PATHS.has(path) || API_PREFIXES.some((prefix) => path.startsWith(prefix));
}

/** How the worker answers a request; `precached` are the paths cached at install. */
export function strategyFor(request: RequestFacts, origin: string, precached: readonly string[]): Strategy {
  if (request.method !== 'GET') return 'network';
  let url: URL;
  try {
    url = new URL(request.url);
  } catch {
    return 'network';
  }
  if (url.origin !== origin || isApiPath(url.pathname)) return 'network';
  if (request.mode === 'navigate') return 'navigation';
  if (url.pathname.startsWith('/assets/') || precached.includes(url.pathname)) return 'cache-first';
  return 'network';
}

/** The cache of one build. */
export function cacheName(version: string): string {
  return `${CACHE_PREFIX}${version}`;
}

/** This app's caches other than the current build's: deleted when a new worker takes over. */
export function staleCaches(names: readonly string[], current: string): string[] {
  return names.filter((name) => name.startsWith(CACHE_PREFIX) && name !== current);
}

/** Only complete same-origin answers are kept (no errors, no partial content, no opaque responses). */
export function cacheable(response: { status: number; type: string }): boolean {
  return response.status === 200 && (response.type === 'basic' || response.type === 'default');
}

/** Whether a navigation gets the cached shell instead: no answer at all, or a proxy saying the API is down. */
export function wantsShell(status: number | null): boolean {
  return status === null || status === 502 || status === 503 || status === 504;
}
