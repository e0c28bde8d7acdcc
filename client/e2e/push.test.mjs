// End to end: "Notify this device" (Web Push) in Debian's Chromium against the real API in demo mode.
//
// Headless Chromium cannot reach a real push service: in a normal (not incognito) profile its subscription
// waits for the push service, in an incognito one it is refused at once (with an error of Chrome's own in
// the console). The profile here is a normal one, so pressing the button either subscribes (when a push
// service answers) or says so in words after the app's timeout; either way, nothing half-made is left in
// the API. The service worker's push handling is driven through DevTools' own "Push" (CDP
// ServiceWorker.deliverPushMessage, no test-only code in the worker), and what it showed is read back with
// registration.getNotifications(). A click on a notification cannot be made headless: its logic (which
// page, which window) is covered by src/lib/pushMessage.test.ts. The rest of the page's flow (the channel
// made with the subscription, its test send, stopping; a channel the API refuses undone) runs against a
// push service stood in for in the page (PushManager replaced by an init script: the browser's part only,
// the API and the app's code are the real ones).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe } from 'node:test';
import { chromium } from 'playwright-core';
import { ACTION_TIMEOUT_MS, BROWSER, CHROMIUM, collectErrors, graphqlClient, openBrowser, screenshot, testWithReport, until, userToken, VIN } from './helpers.mjs';
import { startStack } from './stack.mjs';
const DEVICE_EVENTS = [
  'CHARGE_COMPLETE',
  'CHARGE_STOPPED_UNEXPECTEDLY',
  'DOOR_OPEN_PARKED',
  'LEFT_UNLOCKED',
  'SENTRY_ALERT',
  'TYRE_PRESSURE_LOW',
  'VEHICLE_ALERT',
  'WINDOW_OPEN_PARKED',
];

let stack;
let token;
let profile;
let context;
let page;
const consoleErrors = [];
/** A GraphQL request to the stack as the e2e user. */
let graphql;
const test = testWithReport(() => page);
const shot = (name) => screenshot(page, name);

async function webPushChannels() {
  const data = await graphql('{ notificationChannels { id kind name enabled settings } notificationSubscriptions { channelId events } }');
  return data.notificationChannels
    .filter((channel) => channel.kind === 'WEBPUSH')
    .map((channel) => ({ ...channel, events: data.notificationSubscriptions.filter((s) => s.channelId === channel.id).flatMap((s) => s.events) }));
}

/** The browser's push subscription of the app's worker, or null. */
function browserSubscription() {
  return page.evaluate(async () => {
    const registration = await navigator.serviceWorker.ready;
    const subscription = await registration.pushManager.getSubscription();
    return subscription ? subscription.toJSON() : null;
  });
}

before(async () => {
  stack = await startStack();
  token = await userToken(stack);
  graphql = graphqlClient(stack, token);
  // a normal profile, as a user has: the Push API is off in incognito contexts
  profile = mkdtempSync(join(tmpdir(), 'teslasync-push-profile-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    ...BROWSER,
  });
  context.setDefaultTimeout(ACTION_TIMEOUT_MS);
  await context.grantPermissions(['notifications'], { origin: stack.baseUrl });
  page = context.pages()[0] ?? (await context.newPage());
  collectErrors(page, consoleErrors);
  // notifications belong to a user: this browser signs in with the token (as Settings would keep it)
  await page.goto(`${stack.baseUrl}/`);
  await page.evaluate((value) => localStorage.setItem('teslasync.token', value), token);
});

after(async () => {
  await context?.close();
  await stack?.stop();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

describe('notify this device', { concurrency: false }, () => {
  test('without a service worker, the section says why it is unavailable', async () => {
    const { browser, page: other, consoleErrors: errors } = await openBrowser({ serviceWorkers: 'block' });
    try {
      await other.goto(`${stack.baseUrl}/`);
      await other.evaluate((value) => localStorage.setItem('teslasync.token', value), token);
      await other.goto(`${stack.baseUrl}/notifications`);
      const section = other.getByRole('region', { name: 'This device' });
      await section.getByText('This device cannot be notified from here').waitFor();
      assert.match(await section.innerText(), /service worker/);
      assert.equal(await section.getByRole('button', { name: 'Notify this device' }).count(), 0);
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
    }
  });

  test('pressing “Notify this device” subscribes, or says why not and leaves no channel behind', { timeout: 120_000 }, async () => {
    assert.deepEqual(await webPushChannels(), [], 'no Web Push channel to begin with');
    await page.goto(`${stack.baseUrl}/notifications`);
    await page.getByRole('heading', { level: 1, name: 'Notifications' }).waitFor();
    await page.evaluate(async () => navigator.serviceWorker.ready);
    const section = page.getByRole('region', { name: 'This device' });
    const button = section.getByRole('button', { name: 'Notify this device' });
    await button.waitFor();
    assert.match(await section.innerText(), /Sentry alert/, 'the events it starts with are named');

    // the page is plain http (loopback): the push service's contact is the account's e-mail, else asked for
    const { me } = await graphql('{ me { user { email } } }');
    const address = section.getByLabel('Your e-mail address, for the push service');
    if (!me.user?.email) {
      await button.click();
      await section.getByText('Enter your e-mail address.').waitFor();
      assert.equal(await address.getAttribute('aria-invalid'), 'true');
      assert.ok(await address.evaluate((element) => element === document.activeElement), 'the field has the focus');
      await address.fill('not an address');
      await button.click();
      await section.getByText('Enter an e-mail address such as name@example.org.').waitFor();
      assert.deepEqual(await webPushChannels(), [], 'nothing made while the address is missing');
      await address.fill('e2e@example.org');
    } else {
      assert.equal(await address.count(), 0, 'the account’s address is used');
    }

    await button.click();
    const on = section.getByText('This device is notified');
    const failed = section.getByRole('alert');
    await on.or(failed).first().waitFor({ timeout: 90_000 });
    await shot('push-device');

    if (await failed.isVisible()) {
      // no push service reachable from here: said in words, and nothing kept on either side
      const text = await failed.innerText();
      assert.match(text, /This device could not be set up/);
      assert.match(text, /push service/);
      assert.deepEqual(await webPushChannels(), [], 'no half-made Web Push channel');
      assert.equal(await browserSubscription(), null, 'no push subscription left in the browser');
      assert.equal(await page.evaluate(() => localStorage.getItem('teslasync.webPush')), null);
      assert.equal(await button.isEnabled(), true, 'it can be tried again');
    } else {
      // a push service answered: the channel is this browser's subscription, with its own key
      const subscription = await browserSubscription();
      assert.ok(subscription?.endpoint, 'subscribed');
      const channels = await webPushChannels();
      assert.equal(channels.length, 1);
      const [channel] = channels;
      assert.match(channel.name, /Chrom(e|ium) on Linux/);
      assert.equal(channel.settings.endpoint, subscription.endpoint);
      assert.equal(channel.settings.p256dh, subscription.keys.p256dh);
      assert.equal(channel.settings.vapid_subject, me.user?.email ? `mailto:${me.user.email}` : 'mailto:e2e@example.org');
      assert.equal(channel.settings.vapid_private_key, undefined, 'the key is never shown back');
      assert.deepEqual([...channel.events].sort(), DEVICE_EVENTS);
      assert.deepEqual(JSON.parse(await page.evaluate(() => localStorage.getItem('teslasync.webPush'))), {
        endpoint: subscription.endpoint,
        channelId: channel.id,
      });
      await page.reload();
      await section.getByText('This device is notified').waitFor();
      await section.getByRole('button', { name: 'Send a test', exact: true }).click();
      await section.getByText(/^(Delivered|Not delivered): /).waitFor({ timeout: 60_000 });
      await section.getByRole('button', { name: 'Stop notifying this device' }).click();
      await section.getByText('This device is no longer notified.').waitFor();
      assert.deepEqual(await webPushChannels(), []);
      assert.equal(await browserSubscription(), null);
      await button.waitFor();
    }
    // on a phone the section fits the screen
    await page.setViewportSize({ width: 375, height: 812 });
    await section.getByRole('button', { name: 'Notify this device' }).waitFor();
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 375), 'the page fits a phone screen');
    await page.setViewportSize({ width: 1280, height: 900 });
    assert.deepEqual(consoleErrors, []);
  });

  test('the service worker shows TeslaSync’s pushes, replaced by tag, and keeps the page a click opens', async () => {
    await page.goto(`${stack.baseUrl}/notifications`);
    await page.evaluate(async () => navigator.serviceWorker.ready);
    // DevTools' "Push" for the app's worker
    const cdp = await context.newCDPSession(page);
    const registrations = new Map();
    cdp.on('ServiceWorker.workerRegistrationUpdated', ({ registrations: updated }) => {
      for (const registration of updated) registrations.set(registration.registrationId, registration);
    });
    await cdp.send('ServiceWorker.enable');
    const registration = await until(
      () => [...registrations.values()].find((r) => r.scopeURL === `${stack.baseUrl}/` && !r.isDeleted),
      'the app’s worker registration',
    );
    const push = (data) => cdp.send('ServiceWorker.deliverPushMessage', { origin: stack.baseUrl, registrationId: registration.registrationId, data });
    const shown = (tag) =>
      page.evaluate(async (wanted) => {
        const notifications = await (await navigator.serviceWorker.ready).getNotifications(wanted ? { tag: wanted } : undefined);
        return notifications.map((n) => ({ title: n.title, body: n.body, tag: n.tag, icon: n.icon, data: n.data, timestamp: n.timestamp }));
      }, tag);

    // the payload as the server's Web Push channel sends it
    const tag = `charge_complete:${VIN}:2025-06-01T21:30`;
    const message = {
      title: 'Charging complete',
      body: 'Demo Model 3 reached 80 %.',
      kind: 'charge_complete',
      vin: VIN,
      at: '2025-06-01T21:30:00+00:00',
      tag,
      data: { batteryLevel: 80 },
    };
    await push(JSON.stringify(message));
    const [first] = await until(async () => ((await shown(tag)).length ? shown(tag) : null), 'the notification');
    assert.equal(first.title, 'Charging complete');
    assert.equal(first.body, 'Demo Model 3 reached 80 %.');
    assert.equal(first.icon, `${stack.baseUrl}/icons/icon-192.png`);
    assert.equal(first.timestamp, Date.UTC(2025, 5, 1, 21, 30));
    assert.deepEqual(first.data, { url: `/cars/${VIN}`, kind: 'charge_complete', vin: VIN, at: message.at, details: { batteryLevel: 80 } });
    const icon = await fetch(first.icon);
    assert.equal(icon.status, 200);

    // the same event again (its tag): replaced, not added
    await push(JSON.stringify({ ...message, body: 'Demo Model 3 reached 81 %.' }));
    await until(async () => (await shown(tag))[0]?.body === 'Demo Model 3 reached 81 %.', 'the replaced notification');
    assert.equal((await shown(tag)).length, 1);

    // an event of no car leads to the notifications page
    await push(JSON.stringify({ title: 'Test', body: 'A test from TeslaSync.', kind: 'test', vin: null, at: '2025-06-02T08:00:00+00:00', tag: 'test:1' }));
    const [other] = await until(async () => ((await shown('test:1')).length ? shown('test:1') : null), 'the test notification');
    assert.equal(other.data.url, '/notifications');

    // what is not TeslaSync's JSON (DevTools' own test push) still shows, from the app
    await push('Test push message from DevTools.');
    await until(async () => (await shown()).some((n) => n.body === 'Test push message from DevTools.' && n.title === 'TeslaSync'), 'the plain push');

    await page.evaluate(async () => (await (await navigator.serviceWorker.ready).getNotifications()).forEach((n) => n.close()));
    await cdp.detach();
    assert.deepEqual(consoleErrors, []);
  });

  test('with a push service stood in for: the channel is made, tested and stopped; a refused one is undone', { timeout: 90_000 }, async () => {
    const stood = await context.newPage();
    const errors = [];
    stood.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
    stood.on('pageerror', (error) => errors.push(String(error)));
    // what the browser's push service would give: a subscription with a real P-256 key and auth secret, at
    // an endpoint that resolves nowhere (.invalid), kept in localStorage across reloads
    await stood.addInitScript(() => {
      const KEY = 'e2e.pushSubscription';
      const b64 = (bytes) => btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
      const make = (json) => ({
        endpoint: json.endpoint,
        expirationTime: null,
        toJSON: () => json,
        unsubscribe: async () => (localStorage.removeItem(KEY), true),
      });
      PushManager.prototype.getSubscription = async function () {
        const json = JSON.parse(localStorage.getItem(KEY) ?? 'null');
        return json ? make(json) : null;
      };
      PushManager.prototype.subscribe = async function (options) {
        const key = new Uint8Array(options.applicationServerKey);
        if (key.length !== 65 || key[0] !== 4) throw new DOMException('not a P-256 applicationServerKey', 'InvalidAccessError');
        const pair = await crypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, true, ['deriveBits']);
        const p256dh = b64(new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey)));
        const base = localStorage.getItem('e2e.pushEndpoint') ?? 'https://push.invalid/e2e';
        const json = { endpoint: `${base}/${crypto.randomUUID()}`, expirationTime: null, keys: { p256dh, auth: b64(crypto.getRandomValues(new Uint8Array(16))) } };
        localStorage.setItem(KEY, JSON.stringify(json));
        return make(json);
      };
    });
    try {
      const subscription = () => stood.evaluate(() => JSON.parse(localStorage.getItem('e2e.pushSubscription') ?? 'null'));
      // the API refuses a plain-http endpoint: said by field, and neither the channel nor the subscription stays
      await stood.goto(`${stack.baseUrl}/`);
      await stood.evaluate(() => localStorage.setItem('e2e.pushEndpoint', 'http://push.example.org/e2e'));
      await stood.goto(`${stack.baseUrl}/notifications`);
      const section = stood.getByRole('region', { name: 'This device' });
      const button = section.getByRole('button', { name: 'Notify this device' });
      await button.waitFor();
      // asked for while the account has no e-mail address (the field comes with the account's answer)
      const { me } = await graphql('{ me { user { email } } }');
      if (!me.user?.email) await section.getByLabel('Your e-mail address, for the push service').fill('e2e@example.org');
      await button.click();
      const refused = section.getByRole('alert');
      await refused.waitFor();
      const text = await refused.innerText();
      assert.match(text, /The server refused this device’s channel/);
      assert.match(text, /Push endpoint: .*https/);
      assert.match(text, /Nothing was kept/);
      assert.deepEqual(await webPushChannels(), []);
      assert.equal(await subscription(), null, 'the subscription was undone');

      // an https endpoint: the channel is made with the subscription and the events, remembered, shown
      await stood.evaluate(() => localStorage.removeItem('e2e.pushEndpoint'));
      await button.click();
      await section.getByText('This device is notified').waitFor();
      const made = await subscription();
      const [channel, ...more] = await webPushChannels();
      assert.equal(more.length, 0);
      assert.equal(channel.settings.endpoint, made.endpoint);
      assert.equal(channel.settings.p256dh, made.keys.p256dh);
      assert.equal(channel.settings.vapid_subject, `mailto:${me.user?.email ?? 'e2e@example.org'}`);
      assert.match(channel.name, /^(Chrome|Chromium) on Linux$/);
      assert.deepEqual([...channel.events].sort(), DEVICE_EVENTS);
      assert.match(await section.innerText(), new RegExp(`Through the channel “${channel.name}”`));
      assert.ok(
        await section.getByRole('button', { name: 'Send a test', exact: true }).evaluate((element) => element === document.activeElement),
        'the focus moved to the next thing to press',
      );
      // the list below has it too, and after a reload this device is still known
      await stood.locator(`li[data-channel-id="${channel.id}"]`).waitFor();
      await stood.reload();
      await section.getByText('This device is notified').waitFor();
      await screenshot(stood, 'push-device-on');

      // the test send goes to the (unreachable) push service through the API, and says what happened
      await section.getByRole('button', { name: 'Send a test', exact: true }).click();
      await section.getByText(/^Not delivered: /).waitFor({ timeout: 60_000 });

      // stopping deletes the channel and unsubscribes
      await section.getByRole('button', { name: 'Stop notifying this device' }).click();
      await section.getByText('This device is no longer notified.').waitFor();
      assert.deepEqual(await webPushChannels(), []);
      assert.equal(await subscription(), null);
      assert.equal(await stood.evaluate(() => localStorage.getItem('teslasync.webPush')), null);
      assert.ok(await button.evaluate((element) => element === document.activeElement), 'the focus is back on the button');
      assert.deepEqual(errors, []);
    } finally {
      await stood.close();
    }
  });
});
