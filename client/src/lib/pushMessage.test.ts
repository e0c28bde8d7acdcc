import { describe, expect, it } from 'vitest';
import { chooseWindow, clickUrl, DEFAULT_TITLE, ICON, notificationFromPush, pathFor } from './pushMessage';

const ORIGIN = 'https://tesla.example.org';
const VIN = '5YJ3E7EB2NF000001';

/** A payload as the server's Web Push channel makes it (teslasync/notify/channels/webpush.py). */
const payload = (fields: Record<string, unknown>) =>
  JSON.stringify({
    title: 'Charging complete',
    body: 'Model 3 reached 80 % (402 km).',
    kind: 'charge_complete',
    vin: VIN,
    at: '2025-06-01T21:30:00+00:00',
    tag: `charge_complete:${VIN}:2025-06-01T21:30`,
    data: { batteryLevel: 80 },
    ...fields,
  });

describe('a push as a notification', () => {
  it('shows the title and body, replaces by tag, and keeps the car’s page to open', () => {
    const { title, options } = notificationFromPush(payload({}));
    expect(title).toBe('Charging complete');
    expect(options).toEqual({
      body: 'Model 3 reached 80 % (402 km).',
      icon: ICON,
      tag: `charge_complete:${VIN}:2025-06-01T21:30`,
      timestamp: Date.UTC(2025, 5, 1, 21, 30),
      data: { url: `/cars/${VIN}`, kind: 'charge_complete', vin: VIN, at: '2025-06-01T21:30:00+00:00', details: { batteryLevel: 80 } },
    });
    expect(ICON).toMatch(/^\/icons\//);
  });

  it('leads to the notifications page for an event of no car (a test, Helix spending)', () => {
    const { options } = notificationFromPush(payload({ vin: null, kind: 'test', data: undefined }));
    expect(options.data).toEqual({ url: '/notifications', kind: 'test', vin: null, at: '2025-06-01T21:30:00+00:00', details: null });
    expect(notificationFromPush(payload({ vin: '' })).options.data.url).toBe('/notifications');
  });

  it('copes with what the server leaves out when the payload is too large, and with odd values', () => {
    // without data (dropped to fit 4 KiB), without a tag: no replacement, nothing invented
    const { title, options } = notificationFromPush(JSON.stringify({ title: 'Sentry alert', body: 'Aware', vin: VIN }));
    expect(title).toBe('Sentry alert');
    expect(options.tag).toBeUndefined();
    expect(options.timestamp).toBeUndefined();
    expect(options.data.details).toBeNull();
    const odd = notificationFromPush(JSON.stringify({ title: '  ', body: 42, at: 'yesterday', tag: 7, data: [1, 2] }));
    expect(odd.title).toBe(DEFAULT_TITLE);
    expect(odd.options.body).toBe('');
    expect(odd.options.timestamp).toBeUndefined();
    expect(odd.options.tag).toBeUndefined();
    expect(odd.options.data.details).toBeNull();
  });

  it('shows a push that is not TeslaSync’s JSON as text from the app (DevTools’ test push), or an empty one', () => {
    expect(notificationFromPush('Test push message from DevTools.')).toEqual({
      title: DEFAULT_TITLE,
      options: { body: 'Test push message from DevTools.', icon: ICON, data: { url: '/notifications', kind: null, vin: null, at: null, details: null } },
    });
    expect(notificationFromPush(null).title).toBe(DEFAULT_TITLE);
    expect(notificationFromPush('[1,2]').options.body).toBe('[1,2]');
    expect(notificationFromPush('"just a string"').title).toBe(DEFAULT_TITLE);
  });

  it('escapes what a VIN holds in the path', () => {
    expect(pathFor('A/B?C')).toBe('/cars/A%2FB%3FC');
    expect(pathFor(null)).toBe('/notifications');
  });
});

describe('a click on the notification', () => {
  it('opens the page the notification keeps, on this origin only', () => {
    expect(clickUrl({ url: `/cars/${VIN}` }, ORIGIN)).toBe(`${ORIGIN}/cars/${VIN}`);
    expect(clickUrl({ url: '/notifications' }, ORIGIN)).toBe(`${ORIGIN}/notifications`);
    expect(clickUrl({ url: 'https://evil.example/phish' }, ORIGIN)).toBe(`${ORIGIN}/notifications`);
    expect(clickUrl({ url: '//evil.example/x' }, ORIGIN)).toBe(`${ORIGIN}/notifications`);
    expect(clickUrl(null, ORIGIN)).toBe(`${ORIGIN}/notifications`);
    expect(clickUrl({ url: 42 }, ORIGIN)).toBe(`${ORIGIN}/notifications`);
  });

  it('brings forward a window already there, else the focused, a visible or any of the app’s', () => {
    const url = `${ORIGIN}/cars/${VIN}`;
    const w = (path: string, focused = false, visible = false, origin = ORIGIN) => ({ url: `${origin}${path}`, focused, visible });
    expect(chooseWindow([], url)).toEqual({ index: -1, navigate: false });
    expect(chooseWindow([w('/', false, false, 'https://other.example')], url)).toEqual({ index: -1, navigate: false });
    expect(chooseWindow([w('/settings'), w(`/cars/${VIN}`)], url)).toEqual({ index: 1, navigate: false });
    expect(chooseWindow([w('/settings'), w('/exports', false, true), w('/', true, true)], url)).toEqual({ index: 2, navigate: true });
    expect(chooseWindow([w('/settings'), w('/exports', false, true)], url)).toEqual({ index: 1, navigate: true });
    expect(chooseWindow([w('/', true, true, 'https://other.example'), w('/settings')], url)).toEqual({ index: 1, navigate: true });
    expect(chooseWindow([{ url: 'about:blank', focused: true, visible: true }, w('/')], url)).toEqual({ index: 1, navigate: true });
  });
});
