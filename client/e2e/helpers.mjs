// What every e2e file shares (stack.mjs starts the stack): Debian's Chromium with a context in a fixed
// locale and time zone, the page's console errors collected, screenshots, a screenshot and the visible
// alerts when a test fails, the e2e user's API token, GraphQL requests to the stack, and waiting for a
// condition (never a blind sleep).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test as nodeTest } from 'node:test';
import { chromium } from 'playwright-core';
import { resultsDir } from './stack.mjs';

export const VIN = '5YJ3E7EB2NF000001';
export const CAR = 'Demo Model 3';
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const DESKTOP = { width: 1280, height: 900 };
export const PHONE = { width: 375, height: 812 };
/** The browser the tests are written for: British English, Berlin time, a desktop window. */
export const BROWSER = { locale: 'en-GB', timezoneId: 'Europe/Berlin', viewport: DESKTOP };
/** How long an action or a wait may take before it fails. */
export const ACTION_TIMEOUT_MS = 20_000;

// the live car (sped up, see stack.mjs) parks a few seconds before its first drive; then values change every second
export const LIVE_CHANGE_TIMEOUT_MS = Number(process.env.E2E_LIVE_TIMEOUT_MS ?? 150_000);
// the first drive ends about 90 s after the API starts, the first charge a minute later
export const SESSION_TIMEOUT_MS = Number(process.env.E2E_SESSION_TIMEOUT_MS ?? 180_000);

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Resolves with what `check` gives once it is truthy; fails after `timeoutMs` saying what did not happen. */
export async function until(check, what, timeoutMs = ACTION_TIMEOUT_MS) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await sleep(200);
  }
}

/** Every console error and uncaught exception of `page`, pushed to `errors`. */
export function collectErrors(page, errors) {
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(String(error)));
  return errors;
}

/** Chromium with one context (BROWSER, overridden by `options`) and its page, whose errors are collected. */
export async function openBrowser(options = {}) {
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
  const context = await browser.newContext({ ...BROWSER, ...options });
  context.setDefaultTimeout(ACTION_TIMEOUT_MS);
  const page = await context.newPage();
  const consoleErrors = collectErrors(page, []);
  return { browser, context, page, consoleErrors };
}

/** A full-page screenshot in test-results/<name>.png. */
export function screenshot(page, name) {
  return page.screenshot({ path: join(resultsDir, `${name}.png`), fullPage: true });
}

/** What a failed test leaves behind: test-results/failed-<test>.png and the alerts and statuses on screen. */
export async function reportFailure(page, name) {
  if (!page || page.isClosed()) return;
  const file = `failed-${name.replace(/[^\w-]+/g, '-').slice(0, 80)}`;
  try {
    await screenshot(page, file);
    const alerts = await page.getByRole('alert').allInnerTexts();
    const statuses = await page.getByRole('status').allInnerTexts();
    console.error(`[${name}] at ${page.url()}: screenshot test-results/${file}.png`);
    console.error(`[${name}] visible alerts: ${JSON.stringify(alerts)}; statuses: ${JSON.stringify(statuses)}`);
  } catch (error) {
    console.error(`[${name}] no failure report: ${error}`);
  }
}

/**
 * node:test's `test`, which on a failure reports what the page (`getPage()`, read when it fails) shows.
 * Same arguments: (name, fn) or (name, options, fn).
 */
export function testWithReport(getPage) {
  return (name, options, fn) => {
    const body = typeof options === 'function' ? options : fn;
    const opts = typeof options === 'function' ? {} : options;
    return nodeTest(name, opts, async (t) => {
      try {
        return await body(t);
      } catch (error) {
        await reportFailure(getPage(), name);
        throw error;
      }
    });
  };
}

/** The e2e user's API token (an administrator's, made by the CLI, or E2E_API_TOKEN). */
export async function userToken(stack) {
  const token = await stack.createToken();
  assert.ok(token, 'an API token (E2E_API_TOKEN with E2E_API_URL)');
  return token;
}

/** The page's app signed in with `token` before any of its scripts run (where Settings keeps it). */
export function signIn(context, token) {
  return context.addInitScript((value) => localStorage.setItem('teslasync.token', value), token);
}

/**
 * GraphQL requests to the stack, as `token`'s user (none: demo mode's anonymous loopback caller).
 * `gql(query, variables)` gives the data and fails on errors; `gql.raw(query, variables, { token })` the
 * whole answer, errors and all.
 */
export function graphqlClient(stack, token = null) {
  const raw = async (query, variables = {}, { token: as = token } = {}) => {
    const headers = { 'content-type': 'application/json' };
    if (as) headers.authorization = `Bearer ${as}`;
    const response = await fetch(`${stack.apiUrl}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
    return response.json();
  };
  const gql = async (query, variables = {}, options = {}) => {
    const body = await raw(query, variables, options);
    assert.equal(body.errors, undefined, JSON.stringify(body.errors));
    return body.data;
  };
  gql.raw = raw;
  return gql;
}
