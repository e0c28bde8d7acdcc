#!/usr/bin/env node
// Draws the app's PNG icons from the SVGs in public/icons with Chromium (playwright-core, already a dev
// dependency; CHROMIUM_PATH, default /usr/bin/chromium). Run once after changing an SVG; the PNGs are
// committed, the build does not run this.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const icons = join(dirname(fileURLToPath(import.meta.url)), '..', 'public', 'icons');
const OUTPUTS = [
  // [source SVG, size in px, PNG], "any" icons keep their rounded corners on a transparent background;
  // maskable ones fill the square, their drawing inside the safe zone (the middle 80 %)
  ['icon.svg', 192, 'icon-192.png'],
  ['icon.svg', 512, 'icon-512.png'],
  ['icon-maskable.svg', 512, 'icon-maskable-512.png'],
  ['icon-maskable.svg', 180, 'apple-touch-icon.png'],
];

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', headless: true });
try {
  const page = await browser.newPage({ deviceScaleFactor: 1 });
  for (const [source, size, output] of OUTPUTS) {
    const svg = readFileSync(join(icons, source)).toString('base64');
    await page.setViewportSize({ width: size, height: size });
    await page.setContent(
      `<!doctype html><body style="margin:0;background:transparent"><img src="data:image/svg+xml;base64,${svg}" width="${size}" height="${size}" style="display:block"></body>`,
    );
    await page.locator('img').evaluate((img) => img.decode());
    await page.screenshot({ path: join(icons, output), omitBackground: true, clip: { x: 0, y: 0, width: size, height: size } });
    console.log(`${output} (${size}×${size}) from ${source}`);
  }
} finally {
  await browser.close();
}
