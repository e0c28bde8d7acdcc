// End to end: maps (no tiles, then tiles from a loopback tile server set as this browser's override), the
// live car's marker, a drive's track, and the places and tariffs editor, against the real API in demo mode
// (whose anonymous loopback caller is an administrator). Screenshots go to test-results/.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, describe } from 'node:test';
import { deflateSync } from 'node:zlib';
import { CAR, graphqlClient, LIVE_CHANGE_TIMEOUT_MS, openBrowser, screenshot, SESSION_TIMEOUT_MS, testWithReport, VIN } from './helpers.mjs';
import { startStack } from './stack.mjs';
// names of this run (an API given by E2E_API_URL may keep what earlier runs made)
const RUN = Date.now().toString(36).slice(-5);
const TARIFF = `E2E night ${RUN}`;
const PLACE = `E2E Home ${RUN}`;

let stack;
let startedAt;
let browser;
let page;
let tiles;
let consoleErrors = [];
/** A GraphQL request as demo mode's anonymous loopback caller (an administrator). */
let graphql;
const test = testWithReport(() => page);
const shot = (name) => screenshot(page, name);

// -- a tile server: every tile the same light 256x256 PNG with a darker edge, so tiles show as a grid -----

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}
function tilePng(size = 256) {
  const rows = [];
  for (let y = 0; y < size; y++) {
    const row = Buffer.alloc(1 + size * 3); // filter byte 0, then RGB
    for (let x = 0; x < size; x++) {
      const edge = x === 0 || y === 0;
      row.set(edge ? [196, 190, 172] : [241, 238, 228], 1 + x * 3);
    }
    rows.push(row);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8 bits, RGB, deflate, no filter, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function startTileServer() {
  const png = tilePng();
  const requests = [];
  const server = createServer((request, response) => {
    requests.push(request.url);
    response.writeHead(200, { 'content-type': 'image/png', 'content-length': png.length, 'cache-control': 'no-store' });
    response.end(png);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve({ server, requests, port: server.address().port }));
  });
}

before(async () => {
  startedAt = Date.now();
  stack = await startStack();
  tiles = await startTileServer();
  graphql = graphqlClient(stack);
  ({ browser, page, consoleErrors } = await openBrowser());
});

after(async () => {
  await browser?.close();
  await new Promise((resolve) => (tiles ? tiles.server.close(resolve) : resolve()));
  await stack?.stop();
});

describe('maps and the places editor against the demo API', { concurrency: false }, () => {
  test('the live car page shows the car on a map without tiles, and the marker follows the car', { timeout: LIVE_CHANGE_TIMEOUT_MS + 60_000 }, async () => {
    await page.goto(`${stack.baseUrl}/cars/${VIN}`);
    await page.getByRole('heading', { level: 1, name: CAR }).waitFor();
    const map = page.getByRole('region', { name: `Map of where ${CAR} is` });
    await map.waitFor();
    const car = map.locator('.ts-map-car');
    await car.waitFor();
    // no tile URL anywhere: nothing is fetched, the map draws on its plain background
    assert.equal(await map.getAttribute('data-tiles'), 'none');
    assert.equal(await map.locator('img.leaflet-tile').count(), 0);
    assert.equal(tiles.requests.length, 0);
    assert.equal(await map.locator('.ts-map-attribution').count(), 0);
    // the position as text, and the scale
    const caption = page.getByTestId('car-map-caption');
    assert.match(await caption.innerText(), /^Position: -?\d+\.\d{5}, -?\d+\.\d{5}, reported /);
    const scale = map.locator('.leaflet-control-scale-line');
    assert.match(await scale.innerText(), /\d+ (ft|mi)/);
    await shot('map-car');

    // zoom with the buttons (real buttons) and with the keyboard
    const before = await scale.innerText();
    await map.getByRole('button', { name: 'Zoom out' }).click();
    await page.waitForFunction((text) => document.querySelector('[data-testid="car-map"] .leaflet-control-scale-line')?.textContent !== text, before);
    const zoomedOut = await scale.innerText();
    await map.getByRole('group', { name: 'Map' }).focus();
    await page.keyboard.press('Equal'); // "=" / "+": zoom in
    await page.waitForFunction((text) => document.querySelector('[data-testid="car-map"] .leaflet-control-scale-line')?.textContent !== text, zoomedOut);

    // live: as the Location signal changes, the caption and the marker move with it, and the marker stays in view
    const coordinates = (text) => /Position: (-?\d+\.\d+), (-?\d+\.\d+)/.exec(text)?.slice(1, 3).join(',') ?? null;
    // read together: the caption and the marker come from the same render
    const [captionText, markerAt] = await page.evaluate(() => [
      document.querySelector('[data-testid="car-map-caption"]')?.textContent ?? '',
      document.querySelector('[data-testid="car-map"] .ts-map-car')?.getAttribute('data-position'),
    ]);
    const where = coordinates(captionText);
    // the same position, rounded alike (5 decimals; the last digit may round either way)
    const same = (a, b) => {
      const [p, q] = [a, b].map((text) => String(text).split(',').map(Number));
      return Math.abs(p[0] - q[0]) <= 1.1e-5 && Math.abs(p[1] - q[1]) <= 1.1e-5;
    };
    assert.ok(same(markerAt, where), `the marker is at ${markerAt}, the caption says ${where}`);
    const started = Date.now();
    await page.waitForFunction(
      (initial) => {
        const text = document.querySelector('[data-testid="car-map-caption"]')?.textContent ?? '';
        const now = /Position: (-?\d+\.\d+), (-?\d+\.\d+)/.exec(text)?.slice(1, 3).join(',');
        return now && now !== initial;
      },
      where,
      { timeout: LIVE_CHANGE_TIMEOUT_MS, polling: 250 },
    );
    const moved = coordinates(await caption.innerText());
    console.log(`the car moved on the map after ${((Date.now() - started) / 1000).toFixed(1)} s: ${where} -> ${moved}`);
    await page.waitForFunction((position) => {
      const [lat, lon] = (document.querySelector('[data-testid="car-map"] .ts-map-car')?.getAttribute('data-position') ?? '').split(',').map(Number);
      const [wantLat, wantLon] = position.split(',').map(Number);
      return Math.abs(lat - wantLat) <= 1.1e-5 && Math.abs(lon - wantLon) <= 1.1e-5;
    }, moved);
    const mapBox = await map.getByRole('group', { name: 'Map' }).boundingBox();
    const carBox = await car.boundingBox();
    assert.ok(carBox && mapBox, 'the car marker is drawn');
    const x = carBox.x + carBox.width / 2;
    const y = carBox.y + carBox.height / 2;
    assert.ok(x >= mapBox.x && x <= mapBox.x + mapBox.width && y >= mapBox.y && y <= mapBox.y + mapBox.height, 'the car stays in view');
  });

  test('a tile URL set under Settings is checked, then its tiles are fetched and shown with their credit', { timeout: 60_000 }, async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('heading', { level: 1, name: 'Settings' }).waitFor();
    const field = page.getByLabel('Map tiles', { exact: true });
    await field.fill('http://127.0.0.1:1/{z}/{x}.png');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('The URL needs {z}, {x} and {y}.').waitFor();
    assert.equal(await field.getAttribute('aria-invalid'), 'true');

    await field.fill(`http://127.0.0.1:${tiles.port}/{z}/{x}/{y}{r}.png`);
    await page.getByLabel('Map tiles credit').fill('© E2E tiles');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('Saved.').waitFor();

    await page.goto(`${stack.baseUrl}/cars/${VIN}`);
    const map = page.getByRole('region', { name: `Map of where ${CAR} is` });
    await map.locator('img.leaflet-tile-loaded').first().waitFor();
    await page.locator('[data-testid="car-map"][data-tiles="shown"]').waitFor();
    assert.ok(tiles.requests.length > 0, 'tiles were requested');
    assert.ok(tiles.requests.every((url) => /^\/\d+\/\d+\/\d+(@2x)?\.png$/.test(url)), `tile paths: ${tiles.requests.slice(0, 5).join(', ')}`);
    const loaded = await map.locator('img.leaflet-tile-loaded').evaluateAll((images) => images.filter((img) => img.naturalWidth === 256).length);
    assert.ok(loaded > 0, 'tiles are shown');
    assert.equal(await map.locator('.ts-map-attribution').innerText(), '© E2E tiles');
    await map.locator('.ts-map-car').waitFor();
    await shot('map-car-tiles');
  });

  test('a tariff is refused by field, then created; a place is created on the map with it, renamed and deleted', { timeout: 120_000 }, async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Places' }).click();
    await page.waitForURL('**/places');
    await page.getByRole('heading', { level: 1, name: 'Places and tariffs' }).waitFor();
    // the demo's anonymous loopback caller is an administrator: the forms are there
    assert.equal(await page.getByText('Only administrators can change places and tariffs.').count(), 0);

    // a tariff whose second window overlaps the first: the API names windows[1], shown at that window
    const tariffForm = page.getByRole('form', { name: 'New tariff' });
    await tariffForm.getByLabel('Tariff name').fill(TARIFF);
    await tariffForm.getByLabel('Currency').fill('EUR');
    await tariffForm.getByLabel('Time zone of the windows').fill('Europe/Berlin');
    await tariffForm.getByLabel('Price per kWh').first().fill('0.30'); // the base price (no window yet)
    await tariffForm.getByRole('button', { name: 'Add a time window' }).click();
    const first = tariffForm.getByRole('group', { name: 'Time window 1' });
    await first.getByLabel('Price per kWh', { exact: true }).fill('0,18');
    await tariffForm.getByRole('button', { name: 'Add a time window' }).click();
    const second = tariffForm.getByRole('group', { name: 'Time window 2' });
    for (const day of ['Tuesday', 'Wednesday', 'Thursday', 'Friday']) await second.getByLabel(day).uncheck();
    await second.getByLabel('Start').fill('23:00');
    await second.getByLabel('End', { exact: true }).fill('01:00');
    await second.getByLabel('Price per kWh', { exact: true }).fill('0.20');
    await tariffForm.getByRole('button', { name: 'Add tariff' }).click();
    await second.getByText(/windows\[1\] overlaps windows\[0\] on Monday 23:00-01:00/).waitFor();
    assert.ok(await second.evaluate((fieldset) => fieldset === document.activeElement), 'focus moves to the refused window');
    await shot('places-tariff-refused');

    await tariffForm.getByRole('button', { name: 'Remove time window 2' }).click();
    await tariffForm.getByRole('button', { name: 'Add tariff' }).click();
    await page.getByText(`Saved “${TARIFF}”.`).waitFor();
    const tariffItem = page.locator('li[data-tariff-id]').filter({ hasText: TARIFF });
    await tariffItem.waitFor();
    assert.match(await tariffItem.innerText(), /Mon–Fri 22:00–06:00: €0\.18\/kWh/);
    assert.match(await tariffItem.innerText(), /Base: €0\.30\/kWh/);

    // a place: the centre from a click on the map, the radius typed (drawn as it is typed), the tariff chosen
    const placeForm = page.getByRole('form', { name: 'New place' });
    const map = page.getByRole('region', { name: /^Map of \d+ places?$/ });
    const surface = map.getByRole('group', { name: 'Map' });
    await map.locator('.ts-map-place').waitFor(); // the car
    await placeForm.getByLabel('Name').fill(PLACE);
    const mapBox = await surface.boundingBox();
    await page.mouse.click(mapBox.x + mapBox.width / 2 + 120, mapBox.y + mapBox.height / 2 - 60);
    const latitude = placeForm.getByLabel('Latitude');
    await page.waitForFunction(() => /^-?\d+(\.\d+)?$/.test(document.querySelector('form[aria-label="New place"] input[inputmode="decimal"]')?.value ?? ''));
    const picked = { latitude: Number(await latitude.inputValue()), longitude: Number(await placeForm.getByLabel('Longitude').inputValue()) };
    assert.ok(Number.isFinite(picked.latitude) && Number.isFinite(picked.longitude));
    await page.getByText(/^Centre set to /).waitFor();
    const draft = map.locator('path.ts-map-draft');
    await draft.waitFor();
    const radius = placeForm.getByLabel('Radius (m)');
    await radius.fill('100');
    const small = await draft.boundingBox();
    await radius.fill('300');
    await page.waitForFunction((width) => (document.querySelector('path.ts-map-draft')?.getBoundingClientRect().width ?? 0) > width * 2, small.width);
    await placeForm.getByLabel('Tariff').selectOption({ label: `${TARIFF} (EUR)` });
    await placeForm.getByRole('button', { name: 'Add place' }).click();
    await page.getByText(`Saved “${PLACE}”.`).waitFor();

    const item = page.locator('li[data-geofence-id]').filter({ hasText: PLACE });
    await item.waitFor();
    assert.match(await item.innerText(), /Radius 300 m/);
    assert.match(await item.innerText(), new RegExp(`Tariff: ${TARIFF}`));
    const id = await item.getAttribute('data-geofence-id');
    const circle = map.locator(`path.ts-map-geofence[data-circle-id="${id}"]`);
    await circle.waitFor();
    // (a removed label fades out for a moment: there may briefly be two)
    await map.locator('.ts-map-label').filter({ hasText: PLACE }).first().waitFor();
    assert.equal(await map.locator('path.ts-map-draft').count(), 0, 'the draft is gone once saved');
    // stored as drawn, with its tariff
    const stored = (await graphql('{ geofences { id name latitude longitude radiusM tariff { name } } }')).geofences.find((g) => g.id === id);
    assert.equal(stored.radiusM, 300);
    assert.equal(stored.tariff?.name, TARIFF);
    assert.ok(Math.abs(stored.latitude - picked.latitude) < 1e-6 && Math.abs(stored.longitude - picked.longitude) < 1e-6);
    await shot('map-places');

    // renamed
    await item.getByRole('button', { name: `Edit ${PLACE}` }).click();
    const editForm = page.getByRole('form', { name: `Edit “${PLACE}”` });
    const name = editForm.getByLabel('Name');
    assert.ok(await name.evaluate((input) => input === document.activeElement), 'the form takes the focus');
    assert.equal(await editForm.getByLabel('Radius (m)').inputValue(), '300');
    await map.locator(`path.ts-map-selected[data-circle-id="${id}"]`).waitFor();
    await name.fill(`${PLACE} renamed`);
    await editForm.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText(`Saved “${PLACE} renamed”.`).waitFor();
    const renamed = page.locator(`li[data-geofence-id="${id}"]`);
    await renamed.filter({ hasText: `${PLACE} renamed` }).waitFor();
    await map.locator('.ts-map-label').filter({ hasText: `${PLACE} renamed` }).first().waitFor();

    // deleted, after a confirmation
    await renamed.getByRole('button', { name: `Delete ${PLACE} renamed` }).click();
    const confirm = page.getByRole('dialog', { name: `Delete “${PLACE} renamed”? Charges there lose its tariff’s price.` });
    await confirm.waitFor();
    assert.ok(await confirm.getByRole('button', { name: 'Keep it' }).evaluate((b) => b === document.activeElement), 'focus on the safe choice');
    await confirm.getByRole('button', { name: 'Yes, delete' }).click();
    await page.getByText(`Deleted “${PLACE} renamed”.`).waitFor();
    await renamed.waitFor({ state: 'detached' });
    assert.equal(await map.locator(`path[data-circle-id="${id}"]`).count(), 0);
    assert.ok(!(await graphql('{ geofences { id } }')).geofences.some((g) => g.id === id), 'the place is gone');

    // keyboard users: the map's centre as the new place's centre
    await placeForm.getByRole('button', { name: 'Use the map centre' }).click();
    const centreText = (await map.innerText()).match(/Map centre: (-?\d+\.\d+), (-?\d+\.\d+)\./);
    assert.ok(centreText, 'the map centre is written under the map');
    assert.ok(Math.abs(Number(await latitude.inputValue()) - Number(centreText[1])) < 1e-4);
  });

  test("a finished drive's page shows its track on the map", { timeout: SESSION_TIMEOUT_MS + 60_000 }, async (t) => {
    const query = `query ($vin: String!) { vehicle(vin: $vin) { drives(first: 5) { edges { node { id endedAt track { latitude } } } } } }`;
    let drive = null;
    while (!drive && Date.now() - startedAt < SESSION_TIMEOUT_MS) {
      const data = await graphql(query, { vin: VIN });
      drive = data.vehicle.drives.edges.map((e) => e.node).find((d) => d.endedAt && d.track.length > 1) ?? null;
      if (!drive) await new Promise((r) => setTimeout(r, 2000));
    }
    if (!drive) {
      t.skip(`no finished drive within ${SESSION_TIMEOUT_MS / 1000} s`);
      return;
    }
    await page.goto(`${stack.baseUrl}/cars/${VIN}/drives/${drive.id}`);
    await page.getByRole('heading', { level: 1, name: /^Drive on / }).waitFor();
    const map = page.getByRole('region', { name: /GPS points/ });
    await map.locator('path.ts-map-track').waitFor();
    assert.equal(await map.getAttribute('data-testid'), 'track');
    assert.equal(Number(await map.getAttribute('data-points')), drive.track.length);
    await map.locator('path.ts-map-start').waitFor();
    await map.locator('path.ts-map-end').waitFor();
    assert.match(await map.innerText(), /[\d.,]+ (km|mi) along \d+ GPS points, from -?\d+\.\d+, -?\d+\.\d+ to -?\d+\.\d+, -?\d+\.\d+\./);
    await map.locator('img.leaflet-tile-loaded').first().waitFor();
    await shot('map-drive');

    await page.setViewportSize({ width: 375, height: 812 });
    await map.locator('path.ts-map-track').waitFor();
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 375), 'the drive page fits a phone screen');
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  test('the places page fits a phone screen', async () => {
    await page.setViewportSize({ width: 375, height: 812 });
    await page.goto(`${stack.baseUrl}/places`);
    await page.getByRole('heading', { level: 1, name: 'Places and tariffs' }).waitFor();
    await page.getByRole('region', { name: /^Map of \d+ places?$/ }).locator('.leaflet-control-scale-line').waitFor();
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 375), 'the places page fits a phone screen');
    await shot('map-places-phone');
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  test('the browser logged no errors', () => {
    assert.deepEqual(consoleErrors, []);
  });
});
