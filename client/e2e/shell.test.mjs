// End to end: the app's shell — the command palette, the installable PWA (manifest, service worker, offline
// shell), phone-sized screens, and the account settings (API tokens, two-factor enrolment, Tesla accounts)
// — in Debian's Chromium against the real API in demo mode. Screenshots go to test-results/.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe } from 'node:test';
import { CAR, DESKTOP, graphqlClient, openBrowser, PHONE, screenshot, testWithReport, VIN } from './helpers.mjs';
import { startStack } from './stack.mjs';

let stack;
let browser;
let context;
let page;
let consoleErrors = [];
const test = testWithReport(() => page);
const shot = (name) => screenshot(page, name);

// -- RFC 6238 TOTP (SHA1, 6 digits, 30 s), what an authenticator app computes -------------------------------

function base32Decode(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const bytes = [];
  for (const char of text.replace(/[\s=]/g, '').toUpperCase()) {
    const index = alphabet.indexOf(char);
    if (index === -1) throw new Error(`not base32: ${char}`);
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      bytes.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(bytes);
}

function totp(secret, at = Date.now()) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 1000 / 30)));
  const hmac = createHmac('sha1', base32Decode(secret)).update(counter).digest();
  const offset = hmac[hmac.length - 1] & 0x0f;
  const number = (hmac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return String(number).padStart(6, '0');
}

/** The width and height a PNG says it has (its IHDR chunk). */
function pngSize(buffer) {
  assert.equal(buffer.subarray(1, 4).toString('latin1'), 'PNG', 'a PNG file');
  return { width: buffer.readUInt32BE(16), height: buffer.readUInt32BE(20) };
}

/** The API's whole answer (errors and all) to `query` as `token`'s user. */
const graphql = (query, token) => graphqlClient(stack).raw(query, {}, { token });

/** Whether the page is wider than the window (something runs off the side), and what is widest. */
async function overflow() {
  return page.evaluate(() => {
    const width = window.innerWidth;
    const over = document.documentElement.scrollWidth > width;
    let widest = '';
    if (over) {
      let max = width;
      for (const element of document.querySelectorAll('body *')) {
        const right = element.getBoundingClientRect().right;
        if (right > max) {
          max = right;
          widest = `${element.tagName.toLowerCase()}${element.id ? `#${element.id}` : ''}.${String(element.className).slice(0, 80)} (${Math.round(right)} px)`;
        }
      }
    }
    return { over, scrollWidth: document.documentElement.scrollWidth, width, widest };
  });
}

before(async () => {
  stack = await startStack();
  ({ browser, context, page, consoleErrors } = await openBrowser());
});

after(async () => {
  await browser?.close();
  await stack?.stop();
});

describe('the app shell against the demo API', { concurrency: false }, () => {
  test('the command palette opens with Ctrl+K, filters, and goes to a car’s page', async () => {
    await page.goto(`${stack.baseUrl}/`);
    await page.getByRole('heading', { level: 1, name: 'Fleet' }).waitFor();
    await page.locator(`li[data-vin="${VIN}"]`).waitFor();
    const fleetLink = page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Fleet' });

    // Escape closes it and focus goes back where it was
    await fleetLink.focus();
    await page.keyboard.press('Control+k');
    const dialog = page.getByRole('dialog', { name: 'Go to' });
    await dialog.waitFor();
    assert.equal(await dialog.getAttribute('aria-modal'), 'true');
    const input = dialog.getByRole('combobox', { name: 'Search pages, cars and commands' });
    assert.ok(await input.evaluate((element) => element === document.activeElement), 'the search field has the focus');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    assert.ok(await fleetLink.evaluate((element) => element === document.activeElement), 'focus is back on the link');

    await page.keyboard.press('Control+k');
    await dialog.waitFor();
    const listbox = dialog.getByRole('listbox');
    assert.equal(await input.getAttribute('aria-controls'), await listbox.getAttribute('id'));
    // cars and commands come from the API: the car is offered before anything is typed
    await listbox.getByRole('option').filter({ hasText: CAR }).first().waitFor();
    const all = await listbox.getByRole('option').count();
    await input.fill('demo drives');
    const options = listbox.getByRole('option');
    await options.first().filter({ hasText: 'Drives' }).waitFor();
    const filtered = await options.count();
    assert.ok(filtered >= 1 && filtered < all, `filtering leaves fewer options (${filtered} of ${all})`);
    assert.match(await options.first().innerText(), /Drives[\s\S]*Demo Model 3/);
    // the active option is the first, announced through aria-activedescendant
    const firstId = await options.first().getAttribute('id');
    assert.equal(await input.getAttribute('aria-activedescendant'), firstId);
    assert.equal(await options.first().getAttribute('aria-selected'), 'true');
    if (filtered > 1) {
      await page.keyboard.press('ArrowDown');
      assert.equal(await input.getAttribute('aria-activedescendant'), await options.nth(1).getAttribute('id'));
      await page.keyboard.press('ArrowUp');
      assert.equal(await input.getAttribute('aria-activedescendant'), firstId);
    }
    await shot('palette');
    await page.keyboard.press('Enter');
    await page.waitForURL(`**/cars/${VIN}/drives`);
    await page.getByRole('heading', { level: 1, name: `Drives of ${CAR}` }).waitFor();
    await dialog.waitFor({ state: 'hidden' });
  });

  test('a command chosen in the palette opens that car’s command form with it', async () => {
    await page.keyboard.press('Control+k');
    const dialog = page.getByRole('dialog', { name: 'Go to' });
    await dialog.waitFor();
    const input = dialog.getByRole('combobox');
    assert.equal(await input.inputValue(), '', 'the palette opens empty');
    await input.fill('flash lights');
    const first = dialog.getByRole('option').first();
    await first.filter({ hasText: 'Flash lights' }).waitFor();
    assert.match(await first.innerText(), /Command/);
    await page.keyboard.press('Enter');
    await page.waitForURL(`**/cars/${VIN}/commands?command=FLASH_LIGHTS`);
    await page.getByRole('heading', { level: 1, name: `${CAR}: Commands` }).waitFor();
    assert.equal(await page.getByLabel('Command', { exact: true }).inputValue(), 'FLASH_LIGHTS');
    await page.getByRole('form', { name: 'Flash lights' }).waitFor();
  });

  test('the app is installable: the manifest is linked and served, the service worker controls the page', async () => {
    await page.goto(`${stack.baseUrl}/`);
    await page.getByRole('heading', { level: 1, name: 'Fleet' }).waitFor();
    const href = await page.locator('link[rel="manifest"]').getAttribute('href');
    assert.equal(href, '/manifest.webmanifest');
    assert.equal(await page.locator('meta[name="theme-color"]').getAttribute('content'), '#1d4ed8');
    const touchIcon = await page.locator('link[rel="apple-touch-icon"]').getAttribute('href');

    const response = await fetch(new URL(href, stack.baseUrl));
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^application\/manifest\+json/);
    const manifest = await response.json();
    assert.equal(manifest.name, 'TeslaSync');
    assert.equal(manifest.short_name, 'TeslaSync');
    assert.equal(manifest.start_url, '/');
    assert.equal(manifest.display, 'standalone');
    assert.ok(manifest.theme_color && manifest.background_color);
    const pngs = manifest.icons.filter((icon) => icon.type === 'image/png');
    for (const [size, purpose] of [[192, 'any'], [512, 'any'], [512, 'maskable']]) {
      const icon = pngs.find((i) => i.sizes === `${size}x${size}` && i.purpose === purpose);
      assert.ok(icon, `a ${size} px ${purpose} icon`);
      const file = await fetch(new URL(icon.src, stack.baseUrl));
      assert.equal(file.status, 200, icon.src);
      assert.equal(file.headers.get('content-type'), 'image/png');
      assert.deepEqual(pngSize(Buffer.from(await file.arrayBuffer())), { width: size, height: size });
    }
    const apple = await fetch(new URL(touchIcon, stack.baseUrl));
    assert.deepEqual(pngSize(Buffer.from(await apple.arrayBuffer())), { width: 180, height: 180 });

    const worker = await fetch(`${stack.baseUrl}/sw.js`);
    assert.equal(worker.status, 200);
    assert.match(worker.headers.get('content-type') ?? '', /javascript/);
    assert.match(await worker.text(), /const VERSION = "[0-9a-f]{16}";/);

    // registered once the page has loaded; after a reload it controls the page, and answers navigations
    const scope = await page.evaluate(async () => (await navigator.serviceWorker.ready).scope);
    assert.equal(scope, `${stack.baseUrl}/`);
    const reloaded = await page.reload();
    assert.ok(reloaded?.fromServiceWorker(), 'the worker answered the navigation');
    assert.equal(await page.evaluate(() => navigator.serviceWorker.controller?.scriptURL), `${stack.baseUrl}/sw.js`);
    await page.getByRole('heading', { level: 1, name: 'Fleet' }).waitFor();
    const cached = await page.evaluate(async () => {
      const names = await caches.keys();
      const urls = [];
      for (const name of names) for (const request of await (await caches.open(name)).keys()) urls.push(new URL(request.url).pathname);
      return { names, urls };
    });
    assert.equal(cached.names.length, 1);
    assert.match(cached.names[0], /^teslasync-[0-9a-f]{16}$/);
    assert.ok(cached.urls.includes('/index.html'), 'the shell is cached');
    assert.ok(cached.urls.some((url) => /^\/assets\/index-.*\.js$/.test(url)), 'the entry chunk is cached');
    assert.deepEqual(cached.urls.filter((url) => url.startsWith('/graphql') || url.startsWith('/exports/')), [], 'nothing of the API is cached');

    // offline, a page still opens from the cached shell and says the API cannot be reached
    const errorsBefore = consoleErrors.length;
    await context.setOffline(true);
    try {
      await page.goto(`${stack.baseUrl}/settings`);
      await page.getByRole('heading', { level: 1, name: 'Settings' }).waitFor();
      await page.getByRole('link', { name: 'TeslaSync' }).waitFor();
    } finally {
      await context.setOffline(false);
    }
    // the failed requests of that offline page are expected: only those are let through
    const offlineErrors = consoleErrors.splice(errorsBefore);
    assert.deepEqual(offlineErrors.filter((text) => !/ERR_INTERNET_DISCONNECTED|Failed to fetch|Failed to load resource/.test(text)), []);
  });

  test('on a phone the menu button opens the navigation, and no page runs off the side', { timeout: 120_000 }, async () => {
    await page.setViewportSize(PHONE);
    try {
      await page.goto(`${stack.baseUrl}/`);
      await page.getByRole('heading', { level: 1, name: 'Fleet' }).waitFor();
      // folded away, the navigation is hidden from everyone, assistive technology included
      const nav = page.getByRole('navigation', { name: 'Main', includeHidden: true });
      const menu = page.getByRole('button', { name: 'Menu' });
      assert.equal(await nav.isVisible(), false, 'the navigation is folded away');
      assert.equal(await menu.getAttribute('aria-expanded'), 'false');
      assert.equal(await menu.getAttribute('aria-controls'), await nav.getAttribute('id'));
      await page.locator(`li[data-vin="${VIN}"] [data-signal="BatteryLevel"] [data-value]`).filter({ hasText: /%/ }).waitFor();
      await shot('phone-overview');
      await menu.click();
      assert.equal(await menu.getAttribute('aria-expanded'), 'true');
      await nav.getByRole('link', { name: 'Settings' }).waitFor();
      await shot('phone-menu');
      await nav.getByRole('link', { name: 'Exports' }).click();
      await page.waitForURL('**/exports');
      await page.getByRole('heading', { level: 1, name: 'Exports' }).waitFor();
      assert.equal(await menu.getAttribute('aria-expanded'), 'false', 'the menu closes after a navigation');
      assert.equal(await nav.isVisible(), false);

      // the palette's button works by touch too
      await page.getByRole('button', { name: 'Search pages, cars and commands' }).click();
      const dialog = page.getByRole('dialog', { name: 'Go to' });
      await dialog.waitFor();
      const box = await dialog.boundingBox();
      assert.ok(box && box.x >= 0 && box.x + box.width <= PHONE.width, 'the palette fits the screen');
      await dialog.getByRole('combobox').fill('battery');
      await dialog.getByRole('option').filter({ hasText: 'Battery' }).first().click();
      await page.waitForURL(`**/cars/${VIN}/battery`);

      const pages = [
        ['/', 'Fleet'],
        [`/cars/${VIN}`, CAR],
        [`/cars/${VIN}/drives`, `Drives of ${CAR}`],
        [`/cars/${VIN}/charging`, `Charging of ${CAR}`],
        [`/cars/${VIN}/battery`, `Battery of ${CAR}`],
        [`/cars/${VIN}/stats`, `Statistics of ${CAR}`],
        [`/cars/${VIN}/commands`, `${CAR}: Commands`],
        ['/places', 'Places and tariffs'],
        ['/exports', 'Exports'],
        ['/notifications', 'Notifications'],
        ['/automations', 'Automations'],
        ['/helix', 'Helix'],
        ['/settings', 'Settings'],
      ];
      const wide = [];
      for (const [path, heading] of pages) {
        await page.goto(`${stack.baseUrl}${path}`);
        await page.getByRole('heading', { level: 1, name: heading }).waitFor();
        await page.waitForLoadState('networkidle');
        const result = await overflow();
        if (result.over) wide.push(`${path}: ${result.scrollWidth} px > ${result.width} px, widest ${result.widest}`);
      }
      assert.deepEqual(wide, [], 'pages wider than a phone');
    } finally {
      await page.setViewportSize(DESKTOP);
    }
  });

  test('with a token: two-factor enrolment with a real code, an API token shown once, listed and revoked', { timeout: 120_000 }, async () => {
    // without a token, demo mode's anonymous caller is no user: the account part says what is needed
    await page.goto(`${stack.baseUrl}/settings`);
    const account = page.getByTestId('account');
    await account.getByText('These settings belong to a user').waitFor();
    assert.match(await account.innerText(), /teslasync token create/);

    const token = await stack.createToken();
    assert.ok(token, 'an API token (E2E_API_TOKEN with E2E_API_URL)');
    await page.getByLabel('API token', { exact: true }).fill(token);
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await account.getByText(/^Signed in as /).waitFor();
    await account.getByText('Administrator', { exact: true }).waitFor();

    // a token needs two-factor first: the API says so, and the page says it in words
    const tokens = page.getByRole('region', { name: 'API tokens' });
    await tokens.getByLabel('Name', { exact: true }).fill('e2e before two-factor');
    await tokens.getByRole('button', { name: 'Create token' }).click();
    await tokens.locator('[data-code="TOTP_ENROLMENT_REQUIRED"]').waitFor();

    // enrolment: the QR code as a picture, the secret to type, a wrong code refused, the right one accepted
    const twoFactor = page.getByRole('region', { name: 'Two-factor authentication' });
    await twoFactor.getByRole('button', { name: 'Set up an authenticator app' }).click();
    const qr = twoFactor.getByRole('img', { name: 'QR code to add TeslaSync to your authenticator app' });
    await qr.waitFor();
    assert.match((await qr.getAttribute('src')) ?? '', /^data:image\/svg\+xml/);
    assert.ok(await qr.evaluate((img) => img.complete && img.naturalWidth > 0), 'the QR code is drawn');
    const secret = (await twoFactor.getByTestId('totp-secret').innerText()).replace(/\s/g, '');
    assert.match(secret, /^[A-Z2-7]{16,}$/);
    const code = twoFactor.getByLabel('Code from the app');
    const good = totp(secret);
    await code.fill(good === '000000' ? '111111' : '000000');
    await twoFactor.getByRole('button', { name: 'Turn on' }).click();
    await twoFactor.getByText('That code is wrong. Try the current one.').waitFor();
    await shot('settings-totp');
    const confirmedAt = Date.now();
    await code.fill(totp(secret, confirmedAt));
    await twoFactor.getByRole('button', { name: 'Turn on' }).click();
    const codes = twoFactor.getByTestId('recovery-codes');
    await codes.waitFor();
    assert.ok((await codes.locator('li').count()) >= 5, 'recovery codes are shown');
    await twoFactor.locator('[data-enabled="true"]').waitFor();
    await twoFactor.getByRole('button', { name: 'I have saved them' }).click();
    await codes.waitFor({ state: 'hidden' });

    // a token: its secret shown once (the enrolment's code counts as the step-up), listed, then revoked
    const name = tokens.getByLabel('Name', { exact: true });
    await name.fill('e2e-created');
    await tokens.getByLabel('Send commands').check();
    await tokens.getByLabel('Expires after (days)').fill('30');
    await tokens.getByRole('button', { name: 'Create token' }).click();
    const created = tokens.getByTestId('new-token');
    await created.getByText('Copy it now: it is not shown again.').waitFor();
    const newSecret = await created.getByLabel('The new token').inputValue();
    assert.match(newSecret, /^tsk_/);
    const me = await graphql('{ me { credential scopes } }', newSecret);
    assert.match(me.data.me.credential, /^token:\d+$/);
    assert.deepEqual(me.data.me.scopes, ['READ', 'COMMAND']);
    const item = tokens.locator(`li[data-token-id="${me.data.me.credential.slice('token:'.length)}"]`);
    await item.filter({ hasText: 'e2e-created' }).waitFor();
    assert.equal(await item.getAttribute('data-state'), 'active');
    assert.match(await item.innerText(), /Read[\s\S]*Send commands/);
    assert.match(await item.innerText(), /expires/);
    await shot('settings-account');
    await created.getByRole('button', { name: 'Done' }).click();
    await created.waitFor({ state: 'hidden' });
    assert.ok(!(await page.content()).includes(newSecret), 'the secret is not on the page any more');
    await page.reload();
    await item.waitFor();
    assert.ok(!(await page.content()).includes(newSecret), 'nor after a reload');
    // the token this browser uses is marked
    await tokens.locator('li').filter({ hasText: 'This browser' }).filter({ hasText: 'e2e' }).first().waitFor();

    await item.getByRole('button', { name: 'Revoke “e2e-created”' }).click();
    const confirm = item.getByRole('dialog', { name: /Revoke “e2e-created”\?/ });
    assert.ok(await confirm.getByRole('button', { name: 'Cancel' }).evaluate((button) => button === document.activeElement), 'focus on Cancel');
    await confirm.getByRole('button', { name: 'Yes, revoke' }).click();
    await tokens.locator(`li[data-token-id="${me.data.me.credential.slice('token:'.length)}"][data-state="revoked"]`).waitFor();
    const refused = await graphql('{ me { credential } }', newSecret);
    assert.equal(refused.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED', 'a revoked token is refused');

    // once the step-up has lapsed, the API asks for a code: its first answer is stood in for here (the
    // window is 5 minutes); the code is verified by the real API, and the same token is then made for real
    const creates = [];
    await page.route('**/graphql', async (route) => {
      const body = JSON.parse(route.request().postData() ?? '{}');
      if (body.operationName === 'AccountCreateToken') {
        creates.push(body.variables);
        if (creates.length === 1) {
          await route.fulfill({ json: { data: null, errors: [{ message: 'creating a token needs a TOTP code', extensions: { code: 'STEP_UP_REQUIRED' } }] } });
          return;
        }
      }
      await route.continue();
    });
    try {
      await name.fill('e2e-step-up');
      await tokens.getByRole('button', { name: 'Create token' }).click();
      const dialog = page.getByRole('dialog', { name: 'Two-factor step-up' });
      await dialog.waitFor();
      await dialog.getByText('This is a sensitive change.').waitFor();
      // each 30 s step's code works once: the enrolment used its step's, so this one is of a later step, the
      // current one or else the next (the API accepts a step of drift either side)
      const step = Math.max(Math.floor(Date.now() / 30_000), Math.floor(confirmedAt / 30_000) + 1);
      await dialog.getByLabel('Code').fill(totp(secret, step * 30_000 + 1_000));
      await dialog.getByRole('button', { name: 'Verify and continue' }).click();
      await dialog.waitFor({ state: 'hidden' });
      await tokens.getByTestId('new-token').getByText('Token “e2e-step-up” created').waitFor();
      assert.equal(creates.length, 2);
      assert.deepEqual(creates[1], creates[0], 'the same token is asked for again');
      await tokens.getByTestId('new-token').getByRole('button', { name: 'Done' }).click();
    } finally {
      await page.unroute('**/graphql');
    }
  });

  test('a Tesla account is connected (then Tesla’s sign-in page is named) and disconnected', async () => {
    const tesla = page.getByRole('region', { name: 'Tesla accounts' });
    await tesla.getByText('No Tesla account is connected.').waitFor();
    await tesla.getByLabel('Client ID').fill('e2e-app');
    await tesla.getByLabel('Client secret').fill('e2e-secret');
    assert.equal(await tesla.getByLabel('Redirect URI').inputValue(), `${stack.baseUrl}/auth/tesla/callback`);
    await tesla.getByRole('button', { name: 'Connect', exact: true }).click();
    const next = tesla.getByTestId('tesla-authorize');
    await next.waitFor();
    const authorize = new URL((await next.getAttribute('href')) ?? '');
    assert.equal(authorize.searchParams.get('client_id'), 'e2e-app');
    assert.equal(authorize.searchParams.get('redirect_uri'), `${stack.baseUrl}/auth/tesla/callback`);
    const account = tesla.locator('li[data-account-id]').filter({ hasText: 'App e2e-app' });
    await account.filter({ hasText: 'Waiting for sign-in' }).waitFor();
    await account.getByRole('button', { name: 'Disconnect app e2e-app' }).click();
    await account.getByRole('button', { name: 'Yes, disconnect' }).click();
    await tesla.locator('li[data-status="revoked"]').filter({ hasText: 'App e2e-app' }).waitFor();
  });

  test('two-factor is turned off again (the enrolment’s step-up still holds)', async () => {
    const twoFactor = page.getByRole('region', { name: 'Two-factor authentication' });
    await twoFactor.getByRole('button', { name: 'Turn off' }).click();
    await twoFactor.getByRole('button', { name: 'Yes, turn it off' }).click();
    await twoFactor.locator('[data-enabled="false"]').waitFor();
    await twoFactor.getByRole('button', { name: 'Set up an authenticator app' }).waitFor();
  });

  test('the browser logged no errors', () => {
    assert.deepEqual(consoleErrors, []);
  });
});
