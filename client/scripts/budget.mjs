#!/usr/bin/env node
// The overview page's initial JavaScript, gzipped, must stay under the budget: the entry chunk, the
// overview route's chunk, and every chunk they import statically (lazy chunks of other routes are not
// counted: the browser does not load them for this page). Reads the Vite manifest of `npm run build`.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const BUDGET_BYTES = 250 * 1000;
const ROUTE = 'src/pages/Overview.tsx';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
let manifest;
try {
  manifest = JSON.parse(readFileSync(join(dist, '.vite', 'manifest.json'), 'utf8'));
} catch (error) {
  console.error(`budget: no build manifest in ${dist} (run npm run build first): ${error.message}`);
  process.exit(2);
}

const entry = Object.entries(manifest).find(([, chunk]) => chunk.isEntry);
if (!entry) throw new Error('budget: the manifest has no entry chunk');
if (!manifest[ROUTE]) throw new Error(`budget: the manifest has no chunk for ${ROUTE}`);

/** The chunk and everything it imports statically, each once. */
function closure(key, seen = new Set()) {
  if (seen.has(key)) return seen;
  seen.add(key);
  for (const imported of manifest[key]?.imports ?? []) closure(imported, seen);
  return seen;
}

const keys = closure(ROUTE, closure(entry[0]));
let total = 0;
const rows = [];
for (const key of keys) {
  const file = manifest[key].file;
  if (!file.endsWith('.js')) continue;
  const gzip = gzipSync(readFileSync(join(dist, file)), { level: 9 }).length;
  total += gzip;
  rows.push([file, gzip]);
}
rows.sort((a, b) => b[1] - a[1]);
for (const [file, gzip] of rows) console.log(`  ${(gzip / 1000).toFixed(1).padStart(7)} kB  ${file}`);
const kb = (bytes) => `${(bytes / 1000).toFixed(1)} kB`;
console.log(`overview initial JS: ${kb(total)} gzip (budget ${kb(BUDGET_BYTES)})`);
if (total > BUDGET_BYTES) {
  console.error(`budget: over by ${kb(total - BUDGET_BYTES)}`);
  process.exit(1);
}
