// "Notify this device": the parts of Web Push in the browser that need no browser. Each device gets its own
// VAPID key pair, made here with WebCrypto: the public key is the subscription's `applicationServerKey`, the
// private one (a JWK's `d`, the raw 32-byte P-256 scalar in base64url, which the server's `load_vapid_key`
// takes) goes with the subscription's endpoint and keys into a WEBPUSH channel (docs/notifications.md). The
// browser remembers which channel is its own (localStorage), by its subscription's endpoint.

/** The events a device is subscribed to at first: what needs attention now, and a finished charge. */
export const DEVICE_EVENTS = [
  'CHARGE_COMPLETE',
  'CHARGE_STOPPED_UNEXPECTEDLY',
  'LEFT_UNLOCKED',
  'SENTRY_ALERT',
  'DOOR_OPEN_PARKED',
  'WINDOW_OPEN_PARKED',
  'VEHICLE_ALERT',
  'TYRE_PRESSURE_LOW',
] as const;

/** Where this browser keeps `{ endpoint, channelId }` of its subscription. */
export const DEVICE_STORAGE_KEY = 'teslasync.webPush';

/** How long the browser's push service may take to subscribe before the attempt is given up. */
export const SUBSCRIBE_TIMEOUT_MS = 30_000;

// -- base64url ------------------------------------------------------------------------------------------

function bytesOf(data: ArrayBuffer | ArrayBufferView): Uint8Array {
  return data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Base64url without padding, as JWKs and push subscriptions write bytes. */
export function base64UrlEncode(data: ArrayBuffer | ArrayBufferView): string {
  let binary = '';
  for (const byte of bytesOf(data)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Base64url with or without padding (standard base64 too, as the server accepts); throws when it is neither. */
export function base64UrlDecode(text: string): Uint8Array<ArrayBuffer> {
  const normal = text.trim().replace(/-/g, '+').replace(/_/g, '/');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(normal) || normal.replace(/=+$/, '').length % 4 === 1) throw new Error('not base64url');
  const padded = normal.replace(/=+$/, '');
  const binary = atob(padded + '='.repeat((4 - (padded.length % 4)) % 4));
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}

// -- the device's name ----------------------------------------------------------------------------------

export interface DeviceParts {
  browser: string | null;
  os: string | null;
}

const BROWSERS: readonly [RegExp, string][] = [
  [/\bEdg(?:e|A|iOS)?\//, 'Edge'],
  [/\bOPR\/|\bOpera\b/, 'Opera'],
  [/\bSamsungBrowser\//, 'Samsung Internet'],
  [/\bVivaldi\//, 'Vivaldi'],
  [/\bFirefox\/|\bFxiOS\//, 'Firefox'],
  [/\bCriOS\//, 'Chrome'],
  [/\bChromium\//, 'Chromium'],
  [/Chrome\//, 'Chrome'], // HeadlessChrome too
  [/\bVersion\/[\d.]+.*\bSafari\//, 'Safari'],
];

const SYSTEMS: readonly [RegExp, string][] = [
  [/\biPhone\b|\biPod\b/, 'iPhone'],
  [/\biPad\b/, 'iPad'],
  [/\bAndroid\b/, 'Android'],
  [/\bCrOS\b/, 'ChromeOS'],
  [/\bWindows\b/, 'Windows'],
  [/\bMacintosh\b|\bMac OS X\b/, 'macOS'],
  [/\bLinux\b|\bX11\b/, 'Linux'],
];

/** The browser and system a user agent string names (the first rule that matches wins). */
export function describeUserAgent(userAgent: string): DeviceParts {
  const find = (rules: readonly [RegExp, string][]) => rules.find(([pattern]) => pattern.test(userAgent))?.[1] ?? null;
  return { browser: find(BROWSERS), os: find(SYSTEMS) };
}

export interface DeviceWords {
  /** "Chrome on Linux". */
  join: (browser: string, os: string) => string;
  /** Neither browser nor system known. */
  unknown: string;
}

const ENGLISH: DeviceWords = { join: (browser, os) => `${browser} on ${os}`, unknown: 'This browser' };

/** A channel name for this device, e.g. "Chrome on Linux" (at most 100 characters, as the API allows). */
export function deviceName(userAgent: string, words: DeviceWords = ENGLISH): string {
  const { browser, os } = describeUserAgent(userAgent);
  const name = browser && os ? words.join(browser, os) : (browser ?? os ?? words.unknown);
  return name.slice(0, 100);
}

// -- the VAPID subject ----------------------------------------------------------------------------------

const ADDRESS = /^[^@\s]+@[^@\s]+$/;

export type SubjectChoice = { subject: string } | { problem: 'needsAddress' | 'badAddress' };

/**
 * Who the push service may contact about this server's pushes (RFC 8292's `sub`): this app's origin when
 * it is https, else `mailto:` the account's e-mail address, else the address typed in (a `mailto:` prefix
 * typed too is fine).
 */
export function vapidSubject(origin: string, accountEmail: string | null | undefined, typed: string): SubjectChoice {
  if (origin.startsWith('https://')) return { subject: origin };
  const account = accountEmail?.trim() ?? '';
  if (ADDRESS.test(account)) return { subject: `mailto:${account}` };
  const text = typed.trim().replace(/^mailto:/i, '');
  if (!text) return { problem: 'needsAddress' };
  if (!ADDRESS.test(text)) return { problem: 'badAddress' };
  return { subject: `mailto:${text}` };
}

/** Whether the user must type an address: no https origin and no usable address on the account. */
export function needsAddress(origin: string, accountEmail: string | null | undefined): boolean {
  return 'problem' in vapidSubject(origin, accountEmail, '');
}

// -- keys and the channel's settings --------------------------------------------------------------------

export interface VapidKeys {
  /** The raw public key (65 bytes, uncompressed point): `pushManager.subscribe`'s applicationServerKey. */
  applicationServerKey: Uint8Array<ArrayBuffer>;
  /** The private key as a JWK: its `d` is the channel's vapid_private_key. */
  privateJwk: JsonWebKey;
}

/** A fresh P-256 key pair for one device. */
export async function generateVapidKeys(subtle: SubtleCrypto): Promise<VapidKeys> {
  const pair = await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign']);
  const raw = new Uint8Array(await subtle.exportKey('raw', pair.publicKey));
  const privateJwk = await subtle.exportKey('jwk', pair.privateKey);
  return { applicationServerKey: raw, privateJwk };
}

export interface WebPushSettings {
  endpoint: string;
  p256dh: string;
  auth: string;
  vapid_private_key: string;
  vapid_subject: string;
}

/** What is wrong with a subscription or key, when the browser gave something unusable. */
export class WebPushSetupError extends Error {
  override readonly name = 'WebPushSetupError';
}

function decoded(text: string | undefined): Uint8Array | null {
  try {
    return text ? base64UrlDecode(text) : null;
  } catch {
    return null;
  }
}

/**
 * The WEBPUSH channel's settings from the browser's subscription (`subscription.toJSON()`) and the device's
 * private key; throws WebPushSetupError when either is not what the server would accept.
 */
export function webPushSettings(subscription: PushSubscriptionJSON, privateJwk: JsonWebKey, subject: string): WebPushSettings {
  const endpoint = subscription.endpoint ?? '';
  if (!/^https?:\/\/[^/]/.test(endpoint)) throw new WebPushSetupError('the subscription has no endpoint URL');
  const p256dh = subscription.keys?.p256dh ?? '';
  const auth = subscription.keys?.auth ?? '';
  const point = decoded(p256dh);
  // an uncompressed P-256 point: 0x04, then x and y
  if (point?.length !== 65 || point[0] !== 4) throw new WebPushSetupError('the subscription has no P-256 key (keys.p256dh)');
  if (decoded(auth)?.length !== 16) throw new WebPushSetupError('the subscription has no 16-byte secret (keys.auth)');
  if (privateJwk.kty !== 'EC' || privateJwk.crv !== 'P-256' || !privateJwk.d || decoded(privateJwk.d)?.length !== 32) {
    throw new WebPushSetupError('the key is not a P-256 private key');
  }
  return { endpoint, p256dh, auth, vapid_private_key: privateJwk.d, vapid_subject: subject };
}

/** The WEBPUSH channel's fields (docs/notifications.md), each with its label `channelField.<name>`. */
export const WEB_PUSH_FIELDS = ['endpoint', 'p256dh', 'auth', 'vapid_private_key', 'vapid_subject', 'ttl_s'] as const;

export interface FieldProblem {
  field?: string | null;
  message: string;
}

/**
 * An API problem in words: its field's label key (`name`, `settings.<field>`) and the message, or the field
 * as the API names it when there is no label for it.
 */
export function problemParts(problem: FieldProblem): { labelKey: string | null; field: string | null; message: string } {
  const field = problem.field || null;
  const setting = field?.startsWith('settings.') ? field.slice('settings.'.length) : null;
  const labelKey =
    field === 'name' ? 'notifications.name' : setting && (WEB_PUSH_FIELDS as readonly string[]).includes(setting) ? `channelField.${setting}` : null;
  return { labelKey, field, message: problem.message };
}

// -- which channel is this device's ---------------------------------------------------------------------

export interface DeviceRecord {
  endpoint: string;
  channelId: string;
}

type ReadStorage = Pick<Storage, 'getItem'>;
type WriteStorage = Pick<Storage, 'setItem' | 'removeItem'>;

export function readDeviceRecord(storage: ReadStorage | null): DeviceRecord | null {
  try {
    const parsed: unknown = JSON.parse(storage?.getItem(DEVICE_STORAGE_KEY) ?? 'null');
    if (parsed && typeof parsed === 'object') {
      const { endpoint, channelId } = parsed as Record<string, unknown>;
      if (typeof endpoint === 'string' && typeof channelId === 'string' && endpoint && channelId) return { endpoint, channelId };
    }
  } catch {
    // unreadable or refused: as if nothing were kept
  }
  return null;
}

export function writeDeviceRecord(storage: WriteStorage | null, record: DeviceRecord | null): void {
  try {
    if (record) storage?.setItem(DEVICE_STORAGE_KEY, JSON.stringify(record));
    else storage?.removeItem(DEVICE_STORAGE_KEY);
  } catch {
    // storage refused (private mode): the channel is still found by its endpoint
  }
}

export interface ChannelFacts {
  id: string;
  kind: string;
  settings: unknown;
}

function endpointOf(channel: ChannelFacts): string | null {
  const settings = channel.settings;
  if (!settings || typeof settings !== 'object') return null;
  const endpoint = (settings as Record<string, unknown>).endpoint;
  return typeof endpoint === 'string' ? endpoint : null;
}

/**
 * This device's channel: the one remembered for the browser's current subscription, else a Web Push
 * channel whose endpoint is the subscription's (what was remembered may have been cleared). None without a
 * subscription: a channel whose subscription the browser dropped cannot notify it.
 */
export function deviceChannel<C extends ChannelFacts>(channels: readonly C[], record: DeviceRecord | null, endpoint: string | null): C | null {
  if (!endpoint) return null;
  const webPush = channels.filter((channel) => channel.kind === 'WEBPUSH');
  if (record?.endpoint === endpoint) {
    const remembered = webPush.find((channel) => channel.id === record.channelId);
    if (remembered) return remembered;
  }
  return webPush.find((channel) => endpointOf(channel) === endpoint) ?? null;
}

/**
 * The channel remembered for a subscription this browser no longer has (its endpoint is dead): deleted when
 * the device subscribes again, so that it is not listed twice.
 */
export function staleChannelId(channels: readonly ChannelFacts[], record: DeviceRecord | null, endpoint: string | null): string | null {
  if (!record || record.endpoint === endpoint) return null;
  const channel = channels.find((c) => c.id === record.channelId && c.kind === 'WEBPUSH');
  return channel && endpointOf(channel) === record.endpoint ? channel.id : null;
}

// -- why subscribing failed ------------------------------------------------------------------------------

export type PushProblem = 'denied' | 'pushService' | 'timeout' | 'other';

/** A failed `pushManager.subscribe` by what the user can do about it. */
export function pushProblem(error: unknown): PushProblem {
  const name = error && typeof error === 'object' && 'name' in error ? String((error as { name: unknown }).name) : '';
  if (name === 'NotAllowedError') return 'denied';
  if (name === 'TimeoutError') return 'timeout';
  if (name === 'AbortError' || name === 'NotSupportedError' || name === 'InvalidStateError') return 'pushService';
  return 'other';
}

/** The browser's own words for an error, for the detail of a message (never empty). */
export function errorDetail(error: unknown): string {
  if (error instanceof Error || (error && typeof error === 'object' && 'message' in error)) {
    const { name, message } = error as { name?: unknown; message?: unknown };
    const text = String(message ?? '').trim();
    return text || String(name ?? 'Error');
  }
  return String(error);
}

/**
 * `promise`, or a TimeoutError after `ms`; what it resolves to later is handed to `late` (a subscription
 * that arrived after the user was told it failed is undone there).
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, late: (value: T) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      const error = new Error(`no answer within ${Math.round(ms / 1000)} s`);
      error.name = 'TimeoutError';
      reject(error);
    }, ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        if (timedOut) late(value);
        else resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        if (!timedOut) reject(error);
      },
    );
  });
}
