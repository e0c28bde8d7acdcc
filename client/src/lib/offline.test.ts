import { describe, expect, it } from 'vitest';
import { cacheable, cacheName, isApiPath, staleCaches, strategyFor, wantsShell } from './offline';

const ORIGIN = 'https://tesla.example.org';
const PRECACHED = ['/index.html', '/manifest.webmanifest', '/icons/icon-192.png', '/assets/index-abc123.js'];
const get = (path: string, mode = 'cors') => ({ url: `${ORIGIN}${path}`, method: 'GET', mode });

describe('the service worker’s strategies', () => {
  it('never answers the API or export downloads', () => {
    for (const path of ['/graphql', '/graphql?query=%7Bme%7D', '/healthz', '/readyz', '/metrics', '/auth/tesla/callback?code=x', '/exports/42/download', '/sw.js']) {
      expect(strategyFor(get(path), ORIGIN, PRECACHED), path).toBe('network');
      expect(strategyFor(get(path, 'navigate'), ORIGIN, PRECACHED), `${path} navigated to`).toBe('network');
    }
    expect(strategyFor({ url: `${ORIGIN}/graphql`, method: 'POST', mode: 'cors' }, ORIGIN, PRECACHED)).toBe('network');
  });

  it('leaves other origins and anything but GET alone', () => {
    expect(strategyFor({ url: 'https://tiles.example.com/1/2/3.png', method: 'GET', mode: 'no-cors' }, ORIGIN, PRECACHED)).toBe('network');
    expect(strategyFor({ url: `${ORIGIN}/assets/index-abc123.js`, method: 'HEAD', mode: 'cors' }, ORIGIN, PRECACHED)).toBe('network');
    expect(strategyFor({ url: 'not a url', method: 'GET', mode: 'cors' }, ORIGIN, PRECACHED)).toBe('network');
  });

  it('serves hashed assets and precached files from the cache first', () => {
    expect(strategyFor(get('/assets/Drives-x1y2.js'), ORIGIN, PRECACHED)).toBe('cache-first');
    expect(strategyFor(get('/assets/index-zRb9a3_G.css'), ORIGIN, PRECACHED)).toBe('cache-first');
    expect(strategyFor(get('/manifest.webmanifest'), ORIGIN, PRECACHED)).toBe('cache-first');
    expect(strategyFor(get('/icons/icon-192.png'), ORIGIN, PRECACHED)).toBe('cache-first');
    // same origin, neither hashed nor precached: the network
    expect(strategyFor(get('/robots.txt'), ORIGIN, PRECACHED)).toBe('network');
  });

  it('tries the network first for the app’s pages, including /exports itself', () => {
    for (const path of ['/', '/cars/5YJ3E7EB2NF000001/drives', '/exports', '/settings?x=1']) {
      expect(strategyFor(get(path, 'navigate'), ORIGIN, PRECACHED), path).toBe('navigation');
    }
  });

  it('tells the API’s paths from the client’s', () => {
    expect(isApiPath('/exports')).toBe(false);
    expect(isApiPath('/exports/7/download')).toBe(true);
    expect(isApiPath('/graphqlish')).toBe(false);
    expect(isApiPath('/auth/tesla/callback')).toBe(true);
  });
});

describe('caches', () => {
  it('names a cache per build and deletes only this app’s older ones', () => {
    const current = cacheName('abc123');
    expect(current).toBe('teslasync-abc123');
    expect(staleCaches(['teslasync-old1', current, 'someone-else', 'teslasync-old2'], current)).toEqual(['teslasync-old1', 'teslasync-old2']);
    expect(staleCaches([current], current)).toEqual([]);
  });

  it('keeps only complete same-origin answers', () => {
    expect(cacheable({ status: 200, type: 'basic' })).toBe(true);
    expect(cacheable({ status: 206, type: 'basic' })).toBe(false);
    expect(cacheable({ status: 404, type: 'basic' })).toBe(false);
    expect(cacheable({ status: 0, type: 'opaque' })).toBe(false);
  });

  it('falls back to the shell when the network or the gateway is down, not for the app’s own errors', () => {
    expect(wantsShell(null)).toBe(true);
    expect(wantsShell(503)).toBe(true);
    expect(wantsShell(502)).toBe(true);
    expect(wantsShell(200)).toBe(false);
    expect(wantsShell(404)).toBe(false);
    expect(wantsShell(500)).toBe(false);
  });
});
