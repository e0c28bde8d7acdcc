// What the service worker does with a push and with a click on its notification, as pure functions: the
// build compiles this file into dist/sw.js as `pushMessage` (see pwa/plugin.ts), so it must not import
// anything. The worker itself is pwa/sw.js.
//
// A push from TeslaSync's Web Push channel (teslasync/notify/channels/webpush.py) is JSON
// `{title, body, kind, vin, at, tag, data?}`; `tag` is the event's dedup key, so a repeat replaces the
// notification instead of adding one. A click opens the car's page (`/cars/<vin>`) or, for an event of no
// car, the notifications page.

/** The app's name: the title of a push that has none (or is not JSON, like DevTools' test push). */
export const DEFAULT_TITLE = 'TeslaSync';
export const ICON = '/icons/icon-192.png';
/** Where a notification about no car leads. */
export const FALLBACK_PATH = '/notifications';

/** What a notification keeps for its click (`notification.data`). */
export interface PushData {
  /** The page to open, a path of this app. */
  url: string;
  kind: string | null;
  vin: string | null;
  at: string | null;
  /** The event's own details (`data` of the payload), if it had any. */
  details: Record<string, unknown> | null;
}

/** `showNotification`'s options, as far as the worker sets them. */
export interface PushNotificationOptions {
  body: string;
  icon: string;
  tag?: string;
  /** When the event happened (ms since the epoch). */
  timestamp?: number;
  data: PushData;
}

export interface PushNotification {
  title: string;
  options: PushNotificationOptions;
}

const text = (value: unknown): string | null => (typeof value === 'string' && value.trim() ? value.trim() : null);

/** The page about a car, or the notifications page. */
export function pathFor(vin: string | null): string {
  return vin ? `/cars/${encodeURIComponent(vin)}` : FALLBACK_PATH;
}

/** The notification for a push's data (its text; null for a push without any). */
export function notificationFromPush(payload: string | null): PushNotification {
  let message: unknown = null;
  try {
    message = payload ? JSON.parse(payload) : null;
  } catch {
    message = null;
  }
  if (!message || typeof message !== 'object' || Array.isArray(message)) {
    // not TeslaSync's JSON: the text itself, from the app
    return { title: DEFAULT_TITLE, options: { body: payload?.trim() ?? '', icon: ICON, data: { url: FALLBACK_PATH, kind: null, vin: null, at: null, details: null } } };
  }
  const fields = message as Record<string, unknown>;
  const vin = text(fields.vin);
  const at = text(fields.at);
  const details = fields.data && typeof fields.data === 'object' && !Array.isArray(fields.data) ? (fields.data as Record<string, unknown>) : null;
  const options: PushNotificationOptions = {
    body: typeof fields.body === 'string' ? fields.body : '',
    icon: ICON,
    data: { url: pathFor(vin), kind: text(fields.kind), vin, at, details },
  };
  const tag = text(fields.tag);
  if (tag) options.tag = tag;
  const time = at ? Date.parse(at) : NaN;
  if (Number.isFinite(time)) options.timestamp = time;
  return { title: text(fields.title) ?? DEFAULT_TITLE, options };
}

/** The absolute URL a click opens: the notification's page when it is one of this app's, else the fallback. */
export function clickUrl(data: unknown, origin: string): string {
  const wanted = data && typeof data === 'object' ? (data as { url?: unknown }).url : undefined;
  if (typeof wanted === 'string') {
    try {
      const url = new URL(wanted, origin);
      if (url.origin === origin) return url.href;
    } catch {
      // not a URL: the fallback
    }
  }
  return new URL(FALLBACK_PATH, origin).href;
}

export interface WindowFacts {
  url: string;
  focused: boolean;
  visible: boolean;
}

/**
 * Which of the app's open windows a click brings forward (the index; -1: open a new one): one already at
 * `url`, else the focused one, else a visible one, else the first, of this origin. `navigate`: whether it
 * must go to `url` first.
 */
export function chooseWindow(windows: readonly WindowFacts[], url: string): { index: number; navigate: boolean } {
  const origin = new URL(url).origin;
  const ours = windows.map((w, index) => ({ ...w, index })).filter((w) => {
    try {
      return new URL(w.url).origin === origin;
    } catch {
      return false;
    }
  });
  const chosen = ours.find((w) => w.url === url) ?? ours.find((w) => w.focused) ?? ours.find((w) => w.visible) ?? ours[0];
  if (!chosen) return { index: -1, navigate: false };
  return { index: chosen.index, navigate: chosen.url !== url };
}
