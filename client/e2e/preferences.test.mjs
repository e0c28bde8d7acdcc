// End to end: settings that follow the user. With a user's token, Settings saves them with the user
// (`setPreferences`); a new browser (empty localStorage) gets them back once it has the token, whether the
// token is typed under Settings or already there when the app starts. In Debian's Chromium against the real
// API in demo mode. Screenshots go to test-results/.
import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';
import { graphqlClient, openBrowser, screenshot, testWithReport, until, userToken, VIN } from './helpers.mjs';
import { startStack } from './stack.mjs';

// English in Ireland: kilometres, °C, bar and euros by default, so miles can only come from the user's choice
const BROWSER = { locale: 'en-IE', timezoneId: 'Europe/Dublin' };
const ZONE = 'America/New_York';

let stack;
let token;
let browser;
let page;
let consoleErrors = [];
const test = testWithReport(() => page);
const shot = (name) => screenshot(page, name);

/** A GraphQL request to the stack, as the e2e user (or anonymously, as demo mode allows from loopback). */
const gql = (query, { anonymous = false } = {}) => graphqlClient(stack, anonymous ? null : token)(query);

const PREFERENCES = '{ me { preferences { locale distanceUnit temperatureUnit pressureUnit currency timeZone mapTileUrl mapTileAttribution } } }';

/** A browser that has never seen TeslaSync: nothing in localStorage. */
async function newDevice() {
  await page.goto(`${stack.baseUrl}/settings`);
  await page.evaluate(() => localStorage.clear());
}


const home = () => page.getByTestId('settings-home');
const distance = () => page.getByLabel('Distance and speed');
const save = () => page.getByRole('button', { name: 'Save', exact: true });

before(async () => {
  stack = await startStack();
  token = await userToken(stack);
  ({ browser, page, consoleErrors } = await openBrowser(BROWSER));
});

after(async () => {
  await browser?.close();
  await stack?.stop();
});

describe('settings that follow the user', { concurrency: false }, () => {
  test('with a user’s token, saved settings are kept with the user', { timeout: 60_000 }, async () => {
    // demo mode's anonymous caller: this browser only, and the page says so
    await newDevice();
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Settings' }).waitFor();
    await page.locator('[data-testid="settings-home"][data-home="browser"]').waitFor();
    assert.match(await home().innerText(), /Kept in this browser only\. With a user’s API token .* follow them to every browser\./);
    assert.equal(await distance().inputValue(), 'km', 'the browser’s default');
    assert.equal((await gql('{ me { user { id } preferences { locale } } }', { anonymous: true })).me.preferences, null, 'the anonymous caller has none');

    // the token makes it a user's; nothing set there yet, so this browser's settings stay
    await page.getByLabel('API token', { exact: true }).fill(token);
    await save().click();
    await page.getByText('Saved.', { exact: true }).waitFor();
    await page.locator('[data-testid="settings-home"][data-home="user"]').waitFor();
    assert.match(await home().innerText(), /Kept with your account/);
    assert.equal(await distance().inputValue(), 'km');

    await distance().selectOption('mi');
    await page.getByLabel('Time zone').fill(ZONE);
    await save().click();
    await page.getByText('Saved. These settings follow you to every browser you sign in on.').waitFor();
    await shot('preferences-saved');

    // stored with the user, whole: what was changed and what was not
    const { preferences } = (await gql(PREFERENCES)).me;
    assert.deepEqual(preferences, {
      locale: 'en-IE',
      distanceUnit: 'MI',
      temperatureUnit: 'CELSIUS',
      pressureUnit: 'BAR',
      currency: 'EUR',
      timeZone: ZONE,
      mapTileUrl: null,
      mapTileAttribution: null,
    });
  });

  test('a refusal only the API can make shows the API’s error at its field, and nothing is saved', { timeout: 30_000 }, async () => {
    // The browser checks everything it can (the API checks the same rules); what it cannot foresee is the
    // server's own time-zone database missing a zone this browser knows. That refusal is answered here the
    // way the API answers one, and the page must show it at the field.
    const zone = page.getByLabel('Time zone');
    await zone.fill('America/Ciudad_Juarez');
    let saves = 0;
    await page.route('**/graphql', async (route) => {
      if (!(route.request().postData() ?? '').includes('SavePreferences')) return route.continue();
      saves += 1;
      const message = "timeZone: not an IANA time zone such as 'Europe/Berlin'";
      await route.fulfill({
        contentType: 'application/json',
        body: JSON.stringify({
          data: { setPreferences: { preferences: null, errors: [{ __typename: 'InvalidInput', field: 'timeZone', message }] } },
        }),
      });
    });
    try {
      await save().click();
      await page.getByText(/^timeZone: not an IANA time zone/).waitFor();
      assert.equal(saves, 1);
    } finally {
      await page.unroute('**/graphql');
    }
    assert.equal(await zone.getAttribute('aria-invalid'), 'true');
    const describedBy = (await zone.getAttribute('aria-describedby')) ?? '';
    const described = await page.evaluate((ids) => ids.split(' ').map((id) => document.getElementById(id)?.textContent).join(' '), describedBy);
    assert.match(described, /not an IANA time zone/, 'the error is tied to the field');
    assert.equal(await page.getByText(/^Saved\./).count(), 0, 'not saved');
    await shot('preferences-refused');

    // nothing was saved: neither with the user nor in this browser
    assert.equal((await gql(PREFERENCES)).me.preferences.timeZone, ZONE);
    const local = await page.evaluate(() => JSON.parse(localStorage.getItem('teslasync.settings') ?? '{}'));
    assert.equal(local.timeZone, ZONE);
    await zone.fill(ZONE);
  });

  test('a new browser gets them once the token is typed under Settings', { timeout: 60_000 }, async () => {
    await newDevice();
    await page.reload();
    await page.locator('[data-testid="settings-home"][data-home="browser"]').waitFor();
    assert.equal(await distance().inputValue(), 'km', 'nothing of the user’s yet');
    await page.getByLabel('API token', { exact: true }).fill(token);
    await save().click();
    await page.locator('[data-testid="settings-home"][data-home="user"]').waitFor();
    // the user's settings win over this browser's defaults, and the form shows them
    await until(async () => (await distance().inputValue()) === 'mi', 'the form shows the user’s miles');
    assert.equal(await page.getByLabel('Time zone').inputValue(), ZONE);
    assert.equal(await page.getByLabel('Temperature').inputValue(), 'C');
    await shot('preferences-new-device');

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Fleet' }).click();
    await page.locator(`li[data-vin="${VIN}"] [data-signal="EstBatteryRange"] [data-value]`).filter({ hasText: /\bmi$/ }).waitFor();
  });

  test('a new browser with the token already there starts with them, without errors while they load', { timeout: 60_000 }, async () => {
    await newDevice();
    await page.evaluate((value) => localStorage.setItem('teslasync.token', value), token);
    await page.goto(`${stack.baseUrl}/`);
    const range = page.locator(`li[data-vin="${VIN}"] [data-signal="EstBatteryRange"] [data-value]`);
    await range.filter({ hasText: /\bmi$/ }).waitFor();
    assert.equal(await page.getByRole('alert').count(), 0, 'no error shown');
    await shot('preferences-start');

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
    await page.locator('[data-testid="settings-home"][data-home="user"]').waitFor();
    assert.equal(await distance().inputValue(), 'mi');
    assert.equal(await page.getByLabel('Time zone').inputValue(), ZONE);
    // and kept in this browser too, for the next start
    const local = await page.evaluate(() => JSON.parse(localStorage.getItem('teslasync.settings') ?? '{}'));
    assert.equal(local.units?.distance, 'mi');
    assert.equal(local.timeZone, ZONE);
  });

  test('the browser logged no errors', () => {
    assert.deepEqual(consoleErrors, []);
  });
});
