// TeslaSync's service worker. The build (pwa/plugin.ts) writes dist/sw.js: VERSION (a hash of the build),
// PRECACHE (the app shell and every built asset), `offline` (src/lib/offline.ts, the strategies) and
// `pushMessage` (src/lib/pushMessage.ts, notifications from pushes) come first, then this file. Not used by
// `vite dev`, which does not register a worker.
/* global VERSION, PRECACHE, offline, pushMessage */

const CACHE = offline.cacheName(VERSION);

self.addEventListener('install', (event) => {
  // the shell and the assets of this build, fetched past the HTTP cache
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(PRECACHE.map((url) => new Request(url, { cache: 'reload' })))));
  // a first install activates at once; an update waits until the page asks (its "Reload" button) or
  // every tab of the old build is closed, so an open page never loses the assets it was built with
});

self.addEventListener('message', (event) => {
  if (event.data && event.data.type === 'SKIP_WAITING') self.skipWaiting();
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(offline.staleCaches(names, CACHE).map((name) => caches.delete(name))))
      .then(() => self.clients.claim()),
  );
});

async function cacheFirst(request) {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(request);
  if (hit) return hit;
  const response = await fetch(request);
  if (offline.cacheable(response)) await cache.put(request, response.clone());
  return response;
}

async function navigation(request) {
  let response = null;
  try {
    response = await fetch(request);
  } catch {
    response = null; // offline
  }
  if (response && !offline.wantsShell(response.status)) return response;
  const shell = await caches.match(offline.SHELL, { cacheName: CACHE });
  return shell || response || Response.error();
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const strategy = offline.strategyFor(request, self.location.origin, PRECACHE);
  if (strategy === 'cache-first') event.respondWith(cacheFirst(request));
  else if (strategy === 'navigation') event.respondWith(navigation(request));
  // 'network' (the API, downloads, other origins): not answered here, so the browser fetches it itself
  // and nothing of it is cached
});

// -- Web Push ("Notify this device", docs/web-app.md): TeslaSync's JSON payload shown as a notification, a
// repeat of one event (the same tag) replacing it; a click opens the car's page or the notifications page

self.addEventListener('push', (event) => {
  const { title, options } = pushMessage.notificationFromPush(event.data ? event.data.text() : null);
  event.waitUntil(self.registration.showNotification(title, options));
});

async function openApp(url) {
  const windows = await self.clients.matchAll({ type: 'window' });
  const { index, navigate } = pushMessage.chooseWindow(
    windows.map((client) => ({ url: client.url, focused: client.focused, visible: client.visibilityState === 'visible' })),
    url,
  );
  const client = windows[index];
  if (!client) return self.clients.openWindow(url);
  // focus first, while the click still allows it; navigating can take a while
  let focused = client;
  try {
    focused = await client.focus();
  } catch {
    // focusing refused (the click's permission used up): the window is still navigated
  }
  if (!navigate) return focused;
  try {
    return await focused.navigate(url);
  } catch {
    return self.clients.openWindow(url); // a window this worker does not control cannot be navigated
  }
}

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  event.waitUntil(openApp(pushMessage.clickUrl(event.notification.data, self.location.origin)));
});
