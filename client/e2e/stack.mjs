// The stack the end-to-end tests drive: the real API in demo mode (its own data dir, a free port, the
// simulated car living DEMO_SPEEDUP times faster) serving the built client at `/` itself, as in production.
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const clientDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const repoRoot = resolve(clientDir, '..');
export const resultsDir = join(clientDir, 'test-results');

export function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

const run = promisify(execFile);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function tail(file, lines = 30) {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Resolves once `url` answers 200; fails early when `child` exits first. */
async function waitForHttp(url, child, log, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${url}: the process exited (${child.exitCode ?? child.signalCode}) before answering:\n${tail(log)}`);
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (response.ok) return;
    } catch {
      // not up yet
    }
    await sleep(250);
  }
  throw new Error(`${url}: no answer within ${timeoutMs / 1000} s:\n${tail(log)}`);
}

/** Resolves once the demo car has reported its battery level (its first values come seconds after start). */
async function waitForDemoData(apiUrl, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  const query = '{ vehicles { signals(names: ["BatteryLevel"]) { value } } }';
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${apiUrl}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query }),
        signal: AbortSignal.timeout(5000),
      });
      const body = await response.json();
      if (body.data?.vehicles?.some((v) => v.signals.length > 0)) return;
    } catch {
      // not yet
    }
    await sleep(500);
  }
  throw new Error(`${apiUrl}: the demo car sent no battery level within ${timeoutMs / 1000} s`);
}

function exited(child, timeoutMs) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((r) => {
    const timer = setTimeout(() => r(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      r(true);
    });
  });
}

/** SIGTERM (the API then drains and stops its embedded database), SIGKILL to the group if it hangs. */
async function stop(child, graceMs) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  if (await exited(child, graceMs)) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
  await exited(child, 5000);
}

// phases of the simulated car divided by this: it parks 5-15 s, then drives about 35 s (then charges)
export const DEMO_SPEEDUP = Number(process.env.E2E_DEMO_SPEEDUP ?? 6);

function apiEnv(dataDir, extra = {}) {
  // only our own settings: whatever TESLASYNC_* the calling shell has must not leak into the demo
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('TESLASYNC_')));
  return {
    ...env,
    TESLASYNC_DATA_DIR: dataDir,
    TESLASYNC_HOST: '127.0.0.1',
    TESLASYNC_LOG_LEVEL: 'warning',
    TESLASYNC_DEMO_SPEEDUP: String(DEMO_SPEEDUP),
    TESLASYNC_CLIENT_DIR: join(clientDir, 'dist'),
    ...extra,
  };
}

/** `env`: more TESLASYNC_* settings for this stack's API (e.g. Helix on with its mock provider). */
export async function startStack({ env = {} } = {}) {
  mkdirSync(resultsDir, { recursive: true });
  const dist = join(clientDir, 'dist', 'index.html');
  if (!existsSync(dist)) throw new Error(`${dist} is missing: run npm run build first`);

  const stack = { api: null, dataDir: null, apiUrl: process.env.E2E_API_URL ?? null, baseUrl: null, bin: null };
  // an API token for the administrator (notifications and automations belong to a user, which the demo's
  // anonymous loopback caller is not): made by the CLI against our own data dir, or E2E_API_TOKEN
  stack.createToken = async () => {
    if (!stack.dataDir) return process.env.E2E_API_TOKEN ?? null;
    const { stdout } = await run(stack.bin, ['token', 'create', '--name', 'e2e', '--scope', 'admin'], {
      cwd: repoRoot,
      env: apiEnv(stack.dataDir, env),
      timeout: 60000,
    });
    const token = /tsk_[A-Za-z0-9_\-]+/.exec(stdout)?.[0];
    if (!token) throw new Error(`teslasync token create printed no token:\n${stdout}`);
    return token;
  };
  stack.stop = async () => {
    await stop(stack.api, 60000);
    if (stack.dataDir) {
      // the embedded database outlives a killed API: stop it by its own pid file
      const pidFile = join(stack.dataDir, 'pg', 'postmaster.pid');
      if (existsSync(pidFile)) {
        const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
        try {
          if (pid > 0) process.kill(pid, 'SIGTERM');
          await sleep(2000);
        } catch {
          // already gone
        }
      }
      rmSync(stack.dataDir, { recursive: true, force: true });
    }
  };

  try {
    if (!stack.apiUrl) {
      const bin = process.env.TESLASYNC_BIN ?? join(repoRoot, '.venv', 'bin', 'teslasync');
      stack.bin = bin;
      if (!existsSync(bin)) throw new Error(`${bin} is missing: install TeslaSync first (make install)`);
      const port = await freePort();
      stack.dataDir = mkdtempSync(join(tmpdir(), 'teslasync-e2e-'));
      const log = join(resultsDir, 'api.log');
      const out = openSync(log, 'w');
      stack.api = spawn(bin, ['serve', '--demo', '--port', String(port)], {
        cwd: repoRoot,
        env: apiEnv(stack.dataDir, env),
        stdio: ['ignore', out, out],
        detached: true,
      });
      stack.apiUrl = `http://127.0.0.1:${port}`;
      await waitForHttp(`${stack.apiUrl}/healthz`, stack.api, log, 120000);
    }

    await waitForDemoData(stack.apiUrl, 60000);
    // the API serves the built client at / (with its own routes' fallback to index.html)
    stack.baseUrl = stack.apiUrl;
    const page = await fetch(`${stack.baseUrl}/`, { headers: { accept: 'text/html' } });
    const html = await page.text();
    if (!page.ok || !html.includes('id="root"')) throw new Error(`${stack.baseUrl}/ does not serve the built client (${page.status})`);
  } catch (error) {
    await stack.stop();
    throw error;
  }
  return stack;
}
