import { describe, expect, it, vi } from 'vitest';
import {
  DEVICE_EVENTS,
  DEVICE_STORAGE_KEY,
  base64UrlDecode,
  base64UrlEncode,
  describeUserAgent,
  deviceChannel,
  deviceName,
  errorDetail,
  generateVapidKeys,
  needsAddress,
  problemParts,
  pushProblem,
  readDeviceRecord,
  staleChannelId,
  vapidSubject,
  webPushSettings,
  withTimeout,
  writeDeviceRecord,
  WebPushSetupError,
} from './webPush';

const { subtle } = globalThis.crypto;

const UA = {
  chromeLinux: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
  headless: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/126.0.0.0 Safari/537.36',
  chromiumDebian: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chromium/120.0.6099.224 Chrome/120.0.6099.224 Safari/537.36',
  edgeWindows: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.2592.87',
  firefoxMac: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:127.0) Gecko/20100101 Firefox/127.0',
  safariIphone: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  safariMac: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
  chromeIpad: 'Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/126.0.6478.54 Mobile/15E148 Safari/604.1',
  samsung: 'Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36',
  firefoxAndroid: 'Mozilla/5.0 (Android 14; Mobile; rv:127.0) Gecko/127.0 Firefox/127.0',
  operaWindows: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 OPR/111.0.0.0',
  chromebook: 'Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
};

describe('base64url', () => {
  it('writes bytes without padding in the URL alphabet, and reads them back', () => {
    const bytes = Uint8Array.from([0xfb, 0xff, 0xbf, 0x00, 0x01]);
    expect(base64UrlEncode(bytes)).toBe('-_-_AAE');
    expect([...base64UrlDecode('-_-_AAE')]).toEqual([...bytes]);
    expect(base64UrlEncode(new Uint8Array(0))).toBe('');
    for (let length = 0; length < 40; length++) {
      const data = Uint8Array.from({ length }, (_, i) => (i * 37 + length) & 0xff);
      expect([...base64UrlDecode(base64UrlEncode(data))], `length ${length}`).toEqual([...data]);
    }
  });

  it('encodes a view of a larger buffer as just the view', () => {
    const buffer = Uint8Array.from([1, 2, 3, 4, 5, 6]);
    expect(base64UrlEncode(buffer.subarray(2, 4))).toBe(base64UrlEncode(Uint8Array.from([3, 4])));
    expect(base64UrlEncode(buffer.buffer)).toBe('AQIDBAUG');
  });

  it('accepts padding and standard base64, as the server does, and refuses anything else', () => {
    expect([...base64UrlDecode('-_-_AAE=')]).toEqual([0xfb, 0xff, 0xbf, 0x00, 0x01]);
    expect([...base64UrlDecode('+/+/AAE=')]).toEqual([0xfb, 0xff, 0xbf, 0x00, 0x01]);
    expect(() => base64UrlDecode('not base64!')).toThrow();
    expect(() => base64UrlDecode('abcde')).toThrow(); // 5 characters cannot be whole bytes
  });
});

describe('the device’s name', () => {
  // the name each user agent above gives (the type wants one for every one of them)
  const named: Record<keyof typeof UA, string> = {
    chromeLinux: 'Chrome on Linux',
    headless: 'Chrome on Linux',
    chromiumDebian: 'Chromium on Linux',
    edgeWindows: 'Edge on Windows',
    firefoxMac: 'Firefox on macOS',
    safariIphone: 'Safari on iPhone',
    safariMac: 'Safari on macOS',
    chromeIpad: 'Chrome on iPad',
    samsung: 'Samsung Internet on Android',
    firefoxAndroid: 'Firefox on Android',
    operaWindows: 'Opera on Windows',
    chromebook: 'Chrome on ChromeOS',
  };

  it.each(Object.keys(UA) as (keyof typeof UA)[])('names the browser and the system (%s)', (agent) => {
    expect(deviceName(UA[agent])).toBe(named[agent]);
  });

  it('says what it knows, in the words given', () => {
    expect(describeUserAgent('curl/8.0')).toEqual({ browser: null, os: null });
    expect(deviceName('curl/8.0')).toBe('This browser');
    expect(deviceName('Something (Windows NT 10.0)')).toBe('Windows');
    const german = { join: (b: string, o: string) => `${b} auf ${o}`, unknown: 'Dieser Browser' };
    expect(deviceName(UA.firefoxMac, german)).toBe('Firefox auf macOS');
    expect(deviceName('', german)).toBe('Dieser Browser');
    expect(deviceName('x', { join: () => 'y'.repeat(300), unknown: 'z'.repeat(300) })).toHaveLength(100);
  });
});

describe('the VAPID subject', () => {
  it('is the app’s origin over https', () => {
    expect(vapidSubject('https://tesla.example.org', 'me@example.org', 'typed@example.org')).toEqual({ subject: 'https://tesla.example.org' });
    expect(needsAddress('https://tesla.example.org', null)).toBe(false);
  });

  it('is the account’s address otherwise, else the one typed', () => {
    expect(vapidSubject('http://localhost:8000', 'me@example.org', '')).toEqual({ subject: 'mailto:me@example.org' });
    expect(needsAddress('http://localhost:8000', 'me@example.org')).toBe(false);
    expect(vapidSubject('http://127.0.0.1:8000', null, ' you@example.org ')).toEqual({ subject: 'mailto:you@example.org' });
    expect(vapidSubject('http://127.0.0.1:8000', 'not an address', 'mailto:you@example.org')).toEqual({ subject: 'mailto:you@example.org' });
    expect(needsAddress('http://127.0.0.1:8000', null)).toBe(true);
    expect(needsAddress('http://127.0.0.1:8000', '')).toBe(true);
  });

  it('asks for an address, or a valid one', () => {
    expect(vapidSubject('http://127.0.0.1:8000', null, '  ')).toEqual({ problem: 'needsAddress' });
    expect(vapidSubject('http://127.0.0.1:8000', undefined, 'me at example.org')).toEqual({ problem: 'badAddress' });
    expect(vapidSubject('http://127.0.0.1:8000', null, 'me@')).toEqual({ problem: 'badAddress' });
  });

  it('matches what the server accepts: mailto:x@y or an https URL', () => {
    const server = /^(?:mailto:[^@\s]+@[^@\s]+|https:\/\/.*)$/;
    for (const [origin, email, typed] of [
      ['https://a.example', null, ''],
      ['http://localhost', 'a@b.c', ''],
      ['http://localhost', null, 'x@y'],
    ] as const) {
      const choice = vapidSubject(origin, email, typed);
      expect('subject' in choice && server.test(choice.subject), `${origin} ${email} ${typed}`).toBe(true);
    }
  });
});

/** A subscription's JSON as a browser gives it: a real P-256 key (keys.p256dh) and 16 random bytes (auth). */
async function browserSubscription(endpoint = 'https://fcm.googleapis.com/fcm/send/abc:def'): Promise<PushSubscriptionJSON> {
  const browserKeys = await subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, true, ['deriveBits']);
  const p256dh = base64UrlEncode(await subtle.exportKey('raw', browserKeys.publicKey));
  const auth = base64UrlEncode(globalThis.crypto.getRandomValues(new Uint8Array(16)));
  return { endpoint, expirationTime: null, keys: { p256dh, auth } };
}

/**
 * The private key from the channel's `vapid_private_key` alone, as the server loads it (the raw 32-byte
 * scalar): a PKCS#8 document without the public key, which WebCrypto computes from the scalar.
 */
async function keyFromScalar(d: string): Promise<CryptoKey> {
  const scalar = base64UrlDecode(d);
  expect(scalar).toHaveLength(32);
  const prefix = Uint8Array.from([
    0x30, 0x41, 0x02, 0x01, 0x00, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce,
    0x3d, 0x03, 0x01, 0x07, 0x04, 0x27, 0x30, 0x25, 0x02, 0x01, 0x01, 0x04, 0x20,
  ]);
  const der = new Uint8Array(prefix.length + 32);
  der.set(prefix);
  der.set(scalar, prefix.length);
  return subtle.importKey('pkcs8', der, { name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign']);
}

describe('the channel’s settings from a real key pair', () => {
  it('makes a fresh P-256 pair: a 65-byte raw public key and a private JWK', async () => {
    const keys = await generateVapidKeys(subtle);
    expect(keys.applicationServerKey).toHaveLength(65);
    expect(keys.applicationServerKey[0]).toBe(4); // uncompressed point
    expect(keys.privateJwk).toMatchObject({ kty: 'EC', crv: 'P-256' });
    expect(base64UrlDecode(keys.privateJwk.d ?? '')).toHaveLength(32);
    const other = await generateVapidKeys(subtle);
    expect(other.privateJwk.d).not.toBe(keys.privateJwk.d);
  });

  it('takes the subscription’s endpoint and keys, the key’s d and the subject', async () => {
    const subscription = await browserSubscription();
    const keys = await generateVapidKeys(subtle);
    const settings = webPushSettings(subscription, keys.privateJwk, 'mailto:me@example.org');
    expect(settings).toEqual({
      endpoint: subscription.endpoint,
      p256dh: subscription.keys?.p256dh,
      auth: subscription.keys?.auth,
      vapid_private_key: keys.privateJwk.d,
      vapid_subject: 'mailto:me@example.org',
    });
    // exactly the WEBPUSH channel's fields, nothing the server's strict settings would refuse
    expect(Object.keys(settings).sort()).toEqual(['auth', 'endpoint', 'p256dh', 'vapid_private_key', 'vapid_subject']);
  });

  it('gives a vapid_private_key that pairs with the applicationServerKey: signed with one, verified with the other', async () => {
    const keys = await generateVapidKeys(subtle);
    const settings = webPushSettings(await browserSubscription(), keys.privateJwk, 'https://tesla.example.org');
    const privateKey = await keyFromScalar(settings.vapid_private_key);
    // the public key computed from the scalar alone is the one the browser subscribed with
    const derived = await subtle.exportKey('jwk', privateKey);
    const point = new Uint8Array(65);
    point[0] = 4;
    point.set(base64UrlDecode(derived.x ?? ''), 1);
    point.set(base64UrlDecode(derived.y ?? ''), 33);
    expect(base64UrlEncode(point)).toBe(base64UrlEncode(keys.applicationServerKey));

    // an ES256 signature, as in the VAPID JWT the server sends, verified by the subscribed public key
    const publicKey = await subtle.importKey('raw', keys.applicationServerKey, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify']);
    const signingInput = new TextEncoder().encode('eyJ0eXAiOiJKV1QiLCJhbGciOiJFUzI1NiJ9.eyJhdWQiOiJodHRwczovL2ZjbS5nb29nbGVhcGlzLmNvbSJ9');
    const signature = await subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, privateKey, signingInput);
    expect(await subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, publicKey, signature, signingInput)).toBe(true);
    // and not by another device's key
    const other = await generateVapidKeys(subtle);
    const otherPublic = await subtle.importKey('raw', other.applicationServerKey, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify']);
    expect(await subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, otherPublic, signature, signingInput)).toBe(false);
  });

  it('refuses a subscription or key the server would refuse', async () => {
    const subscription = await browserSubscription();
    const { privateJwk } = await generateVapidKeys(subtle);
    const subject = 'mailto:me@example.org';
    expect(() => webPushSettings({ ...subscription, endpoint: undefined }, privateJwk, subject)).toThrow(WebPushSetupError);
    expect(() => webPushSettings({ ...subscription, endpoint: 'ftp://push.example' }, privateJwk, subject)).toThrow(/endpoint/);
    expect(() => webPushSettings({ ...subscription, keys: { auth: subscription.keys?.auth ?? '' } }, privateJwk, subject)).toThrow(/p256dh/);
    expect(() => webPushSettings({ ...subscription, keys: { ...subscription.keys, p256dh: base64UrlEncode(new Uint8Array(65)) } }, privateJwk, subject)).toThrow(/p256dh/);
    expect(() => webPushSettings({ ...subscription, keys: { ...subscription.keys, auth: 'AAAA' } }, privateJwk, subject)).toThrow(/auth/);
    expect(() => webPushSettings(subscription, { ...privateJwk, d: undefined }, subject)).toThrow(/P-256 private key/);
    expect(() => webPushSettings(subscription, { ...privateJwk, crv: 'P-384' }, subject)).toThrow(/P-256 private key/);
  });
});

describe('which channel is this device’s', () => {
  const endpoint = 'https://push.example/sub/1';
  const channels = [
    { id: '1', kind: 'WEBHOOK', settings: { url: 'https://hook.example' } },
    { id: '2', kind: 'WEBPUSH', settings: { endpoint: 'https://push.example/sub/old', p256dh: 'x', auth: 'y', vapid_subject: 'mailto:a@b' } },
    { id: '3', kind: 'WEBPUSH', settings: { endpoint, p256dh: 'x', auth: 'y', vapid_subject: 'mailto:a@b' } },
  ];

  it('is the remembered one for this subscription, else the one with its endpoint', () => {
    expect(deviceChannel(channels, { endpoint, channelId: '3' }, endpoint)?.id).toBe('3');
    expect(deviceChannel(channels, null, endpoint)?.id).toBe('3');
    // remembered for another subscription: found by the endpoint instead
    expect(deviceChannel(channels, { endpoint: 'https://push.example/sub/old', channelId: '2' }, endpoint)?.id).toBe('3');
    // remembered but deleted, and no channel has the endpoint
    expect(deviceChannel(channels.slice(0, 2), { endpoint, channelId: '3' }, endpoint)).toBeNull();
  });

  it('is none without a subscription, and never a channel of another kind', () => {
    expect(deviceChannel(channels, { endpoint, channelId: '3' }, null)).toBeNull();
    expect(deviceChannel(channels, { endpoint, channelId: '1' }, endpoint)?.id).toBe('3');
  });

  it('finds the channel of a subscription the browser dropped', () => {
    const old = { endpoint: 'https://push.example/sub/old', channelId: '2' };
    expect(staleChannelId(channels, old, endpoint)).toBe('2');
    expect(staleChannelId(channels, old, null)).toBe('2');
    expect(staleChannelId(channels, old, old.endpoint)).toBeNull();
    expect(staleChannelId(channels, null, endpoint)).toBeNull();
    // the id now names a channel of another endpoint: not ours to delete
    expect(staleChannelId(channels, { endpoint: 'https://push.example/sub/gone', channelId: '2' }, endpoint)).toBeNull();
  });

  it('remembers it in storage, and survives storage that refuses', () => {
    const store = new Map<string, string>();
    const storage = {
      getItem: (key: string) => store.get(key) ?? null,
      setItem: (key: string, value: string) => void store.set(key, value),
      removeItem: (key: string) => void store.delete(key),
    };
    expect(readDeviceRecord(storage)).toBeNull();
    writeDeviceRecord(storage, { endpoint, channelId: '3' });
    expect(JSON.parse(store.get(DEVICE_STORAGE_KEY) ?? '')).toEqual({ endpoint, channelId: '3' });
    expect(readDeviceRecord(storage)).toEqual({ endpoint, channelId: '3' });
    writeDeviceRecord(storage, null);
    expect(store.has(DEVICE_STORAGE_KEY)).toBe(false);

    store.set(DEVICE_STORAGE_KEY, '{not json');
    expect(readDeviceRecord(storage)).toBeNull();
    store.set(DEVICE_STORAGE_KEY, JSON.stringify({ endpoint, channelId: 3 }));
    expect(readDeviceRecord(storage)).toBeNull();
    const refusing = {
      getItem: () => {
        throw new Error('SecurityError');
      },
      setItem: () => {
        throw new Error('QuotaExceededError');
      },
      removeItem: () => undefined,
    };
    expect(readDeviceRecord(refusing)).toBeNull();
    expect(() => writeDeviceRecord(refusing, { endpoint, channelId: '3' })).not.toThrow();
    expect(readDeviceRecord(null)).toBeNull();
  });
});

describe('problems in words', () => {
  it('tells a failed subscription by what can be done', () => {
    const dom = (name: string, message: string) => Object.assign(new Error(message), { name });
    expect(pushProblem(dom('NotAllowedError', 'Registration failed - permission denied'))).toBe('denied');
    expect(pushProblem(dom('AbortError', 'Registration failed - push service not available'))).toBe('pushService');
    expect(pushProblem(dom('NotSupportedError', 'no push'))).toBe('pushService');
    expect(pushProblem(dom('TimeoutError', 'late'))).toBe('timeout');
    expect(pushProblem(new TypeError('x is undefined'))).toBe('other');
    expect(pushProblem('weird')).toBe('other');
    expect(errorDetail(dom('AbortError', 'Registration failed - push service not available'))).toBe('Registration failed - push service not available');
    expect(errorDetail(dom('AbortError', ''))).toBe('AbortError');
    expect(errorDetail('plain')).toBe('plain');
  });

  it('labels the API’s fields it knows', () => {
    expect(problemParts({ field: 'settings.vapid_subject', message: 'must be a mailto: address' })).toEqual({
      labelKey: 'channelField.vapid_subject',
      field: 'settings.vapid_subject',
      message: 'must be a mailto: address',
    });
    expect(problemParts({ field: 'name', message: 'a name of 1 to 100 characters' }).labelKey).toBe('notifications.name');
    expect(problemParts({ field: 'kind', message: 'at most 50 channels per user' })).toEqual({ labelKey: null, field: 'kind', message: 'at most 50 channels per user' });
    expect(problemParts({ field: 'settings.bogus', message: 'x' }).labelKey).toBeNull();
    expect(problemParts({ field: null, message: 'x' })).toEqual({ labelKey: null, field: null, message: 'x' });
  });

  it('starts a device with events every user may subscribe to', () => {
    expect(DEVICE_EVENTS).not.toContain('TEST');
    expect(DEVICE_EVENTS).not.toContain('HELIX_SPEND_JUMP'); // administrators only
    expect(DEVICE_EVENTS).toContain('SENTRY_ALERT');
  });
});

describe('withTimeout', () => {
  it('passes a prompt answer and a prompt failure through', async () => {
    const late = vi.fn();
    await expect(withTimeout(Promise.resolve(1), 1000, late)).resolves.toBe(1);
    await expect(withTimeout(Promise.reject(new Error('no')), 1000, late)).rejects.toThrow('no');
    expect(late).not.toHaveBeenCalled();
  });

  it('gives up with a TimeoutError, and hands a late answer over to be undone', async () => {
    vi.useFakeTimers();
    try {
      let resolve: (value: string) => void = () => undefined;
      const slow = new Promise<string>((r) => (resolve = r));
      const late = vi.fn();
      const result = withTimeout(slow, 30_000, late);
      const settled = expect(result).rejects.toMatchObject({ name: 'TimeoutError' });
      await vi.advanceTimersByTimeAsync(30_000);
      await settled;
      resolve('subscription');
      await vi.runAllTimersAsync();
      expect(late).toHaveBeenCalledWith('subscription');
    } finally {
      vi.useRealTimers();
    }
  });
});
