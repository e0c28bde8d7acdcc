// The service worker (production builds only: main.tsx): registered once the page has loaded. A new build's
// worker waits while this page runs the old one; `updateStore` tells the page, and `applyUpdate` lets the
// new worker take over and reloads once it has.

let waiting: ServiceWorker | null = null;
let applying = false;
const listeners = new Set<() => void>();

function setWaiting(worker: ServiceWorker | null): void {
  waiting = worker;
  listeners.forEach((listener) => listener());
}

/** A new version waiting to take over, for useSyncExternalStore. */
export const updateStore = {
  get: (): ServiceWorker | null => waiting,
  subscribe(listener: () => void): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};

/** Switch to the waiting version: the page reloads when it controls it. */
export function applyUpdate(): void {
  if (!waiting) return;
  applying = true;
  waiting.postMessage({ type: 'SKIP_WAITING' });
}

export function registerServiceWorker(url = '/sw.js'): void {
  if (typeof navigator === 'undefined' || !('serviceWorker' in navigator)) return;
  const container = navigator.serviceWorker;
  const start = () => {
    container
      .register(url, { scope: '/' })
      .then((registration) => {
        // with a controller already, a worker that finished installing is an update (the first one is not)
        if (registration.waiting && container.controller) setWaiting(registration.waiting);
        registration.addEventListener('updatefound', () => {
          const worker = registration.installing;
          worker?.addEventListener('statechange', () => {
            if (worker.state === 'installed' && container.controller) setWaiting(worker);
          });
        });
      })
      .catch(() => {
        // no worker (a private window, plain http to another host): the app works as before, online only
      });
    // the first worker claiming this page changes the controller too: reload only for an update asked for
    container.addEventListener('controllerchange', () => {
      if (!applying) return;
      applying = false;
      window.location.reload();
    });
  };
  if (document.readyState === 'complete') start();
  else window.addEventListener('load', start, { once: true });
}
