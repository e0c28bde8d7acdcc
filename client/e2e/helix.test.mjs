// End to end: Helix (on, with the API's deterministic mock provider, which demo mode allows) and the editors
// of notification channels and automation rules, in Debian's Chromium against the real API in demo mode.
// One stack for both (a stack start costs a minute). Screenshots go to test-results/.
import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';
import { CAR, graphqlClient, openBrowser, screenshot, signIn, sleep, testWithReport, until, userToken, VIN } from './helpers.mjs';
import { startStack } from './stack.mjs';

// docs/helix.md "Switching it on"; the mock provider is refused outside demo mode (teslasync/helix/providers/factory.py)
const HELIX_ENV = { TESLASYNC_HELIX_ENABLED: 'true', TESLASYNC_HELIX_PROVIDER: 'mock' };
// six demo cars: a schedule rule fires once for each, so one minute gives more than a page (five) of runs.
// The mutation limit per principal (docs/configuration.md) is 60 a minute with a burst of 10, one more each
// second: this file's token does a user's hour of work in ten seconds (17 mutations between the first test
// and the rule's second Save), which left about a second to spare and was refused now and then
// (RATE_LIMITED, shown by the page; see the last test). 300 a minute is a burst of 50.
const STACK_ENV = { ...HELIX_ENV, TESLASYNC_DEMO_VEHICLES: '6', TESLASYNC_RATE_LIMIT_MUTATIONS_PER_MINUTE: '300' };
// a rule turned on fires at the next minute, at the API's first automation tick after it (every 15 s)
const RUN_TIMEOUT_MS = Number(process.env.E2E_RUN_TIMEOUT_MS ?? 100_000);

let stack;
let browser;
let page;
let consoleErrors = [];
/** A GraphQL request to the stack as the e2e user. */
let gql;
// while true, a helixStream event that ends a run with a long delta reaches the page cut in pieces (see below)
let splitStreams = false;
const test = testWithReport(() => page);
const shot = (name) => screenshot(page, name);

/**
 * The mock provider writes its whole answer at once, so the API streams it in one event. To see the page
 * append deltas as a real model's arrive, such an event (running → done with a long delta) is passed on as
 * several: the same text in word-sized pieces, 250 ms apart, then the API's own final event unchanged.
 */
function splitStreamEvent(message) {
  const event = message.payload?.data?.helixStream;
  if (message.type !== 'next' || !event || event.status === 'running' || event.delta.length < 40) return [message];
  const words = event.delta.match(/\S+\s*/g) ?? [event.delta];
  const size = Math.ceil(words.length / 5);
  const pieces = [];
  for (let i = 0; i < words.length; i += size) pieces.push(words.slice(i, i + size).join(''));
  const before = event.run.text.slice(0, event.run.text.length - event.delta.length);
  const out = [];
  let text = before;
  for (const piece of pieces.slice(0, -1)) {
    text += piece;
    const run = { ...event.run, status: 'running', text, citations: [], unsupported: [] };
    out.push({ ...message, payload: { data: { helixStream: { ...event, delta: piece, status: 'running', run } } } });
  }
  out.push({ ...message, payload: { data: { helixStream: { ...event, delta: pieces[pieces.length - 1] } } } });
  return out;
}

before(async () => {
  stack = await startStack({ env: STACK_ENV });
  // Helix administration, channels and rules belong to a user: the administrator's token, kept where the
  // client keeps it (Settings does the same)
  const token = await userToken(stack);
  gql = graphqlClient(stack, token);
  let context;
  ({ browser, context, page, consoleErrors } = await openBrowser());
  await signIn(context, token);
  // every WebSocket to the API passes through, helixStream's final events cut in pieces while splitStreams
  await context.routeWebSocket(/\/graphql$/, (ws) => {
    const server = ws.connectToServer();
    let queue = Promise.resolve();
    ws.onMessage((m) => server.send(m));
    server.onMessage((m) => {
      queue = queue.then(async () => {
        let message;
        try {
          message = JSON.parse(String(m));
        } catch {
          ws.send(m);
          return;
        }
        const out = splitStreams ? splitStreamEvent(message) : [message];
        for (const [i, piece] of out.entries()) {
          if (i > 0) await sleep(250);
          ws.send(out.length === 1 ? m : JSON.stringify(piece));
        }
      });
    });
    ws.onClose((code, reason) => server.close({ code, reason }));
    server.onClose((code, reason) => ws.close({ code, reason }));
  });
});

after(async () => {
  await browser?.close();
  await stack?.stop();
});

describe('Helix with the mock provider', { concurrency: false }, () => {
  test('with Helix on the nav has Helix; a disabled feature has no panel; an administrator enables one and sets its budget', { timeout: 90_000 }, async () => {
    await page.goto(`${stack.baseUrl}/cars/${VIN}`);
    await page.getByRole('heading', { level: 1, name: CAR }).waitFor();
    const nav = page.getByRole('navigation', { name: 'Main' });
    // the nav entry and the page's panel read the same answer: once the entry is there, the panel has decided
    await nav.getByRole('link', { name: 'Helix' }).waitFor();
    assert.equal(await page.getByTestId('helix-panel').count(), 0, 'no panel while ask_my_data is disabled');

    await nav.getByRole('link', { name: 'Helix' }).click();
    await page.waitForURL('**/helix');
    await page.getByRole('heading', { level: 1, name: 'Helix' }).waitFor();
    await page.getByText('No Helix feature is enabled yet: enable one under Administration.').waitFor();
    const admin = page.getByTestId('helix-admin');
    for (const title of ['Help', 'Ask my data']) {
      const toggle = admin.getByRole('switch', { name: `Enabled: ${title}` });
      assert.equal(await toggle.isChecked(), false);
      await toggle.click(); // checked once the API has it (the switch shows the stored state)
      await page.getByRole('heading', { level: 2, name: title, exact: true }).waitFor();
      assert.equal(await toggle.isChecked(), true);
    }
    const help = admin.locator('[data-admin-feature="help_chat"]');
    await help.getByLabel('Monthly budget (USD): Help').fill('5');
    await help.getByRole('button', { name: 'Save budget: Help' }).click();
    await page.locator('[data-admin-feature="help_chat"]').getByText('US$5.00').waitFor();
    const stored = await gql('{ helixFeatures { name enabled toggled monthlyBudget } }');
    const state = stored.helixFeatures.find((f) => f.name === 'help_chat');
    assert.deepEqual(state, { name: 'help_chat', enabled: true, toggled: true, monthlyBudget: 5 });
    await shot('helix-admin');
  });

  test('a streamed docs answer grows as it arrives, ends done, and cites the documentation', { timeout: 120_000 }, async () => {
    // the docs index is built in the background when the API starts with Helix on: wait until it answers
    const deadline = Date.now() + 60_000;
    for (;;) {
      const data = await gql('mutation { runHelixFeature(feature: "help_chat", input: {question: "How do I create an export?"}) { run { citations { path } } unavailable { code message } } }');
      const payload = data.runHelixFeature;
      assert.equal(payload.unavailable, null, JSON.stringify(payload.unavailable));
      if (payload.run.citations.length > 0) break;
      assert.ok(Date.now() < deadline, 'the documentation index answers with citations');
      await sleep(5000);
    }

    await page.goto(`${stack.baseUrl}/helix`);
    const feature = page.locator('[data-feature="help_chat"]');
    await feature.getByLabel('Question').fill('How do I create an export?');
    splitStreams = true;
    try {
      // every length the answer has on screen, as it changes
      await page.evaluate(() => {
        window.__lengths = [];
        window.__timer = setInterval(() => {
          const answer = document.querySelector('[data-feature="help_chat"] [data-testid="helix-answer"]');
          const length = answer ? Number(answer.getAttribute('data-length')) : null;
          if (length !== null && window.__lengths[window.__lengths.length - 1] !== length) window.__lengths.push(length);
        }, 20);
      });
      await feature.getByRole('button', { name: 'Run' }).click();
      await feature.locator('[data-testid="helix-answer"][data-status="running"]').waitFor();
      const done = feature.locator('[data-testid="helix-answer"][data-status="done"]');
      await done.waitFor({ timeout: 60_000 });
      const lengths = await page.evaluate(() => {
        clearInterval(window.__timer);
        return window.__lengths;
      });
      console.log(`answer lengths as it streamed: ${lengths.join(' → ')}`);
      const grown = lengths.filter((n) => n > 0);
      assert.ok(grown.length >= 3, `the answer grew in steps (${lengths.join(', ')})`);
      for (let i = 1; i < grown.length; i++) assert.ok(grown[i] > grown[i - 1], `the answer only grows (${lengths.join(', ')})`);
      assert.ok(Number(await done.getAttribute('data-chunks')) >= 3, 'several deltas were appended');
      assert.match(await done.getByRole('status').innerText(), /Done/);
    } finally {
      splitStreams = false;
    }
    const answer = feature.getByTestId('helix-answer');
    assert.match(await answer.getByTestId('helix-text').innerText(), /Mock answer to: /);
    const citations = answer.locator('[data-testid="helix-citations"] li');
    assert.ok((await citations.count()) >= 1, 'at least one citation');
    assert.match(await citations.first().innerText(), /\[1\]\s*.+ · [\w/-]+\.md/);
    assert.match((await citations.first().getAttribute('data-citation')) ?? '', /\.md#/);
    // the mock's answer quotes excerpts word for word, which the check does not count as support: marked
    assert.ok((await answer.locator('mark[data-unsupported]').count()) >= 1, 'unsupported sentences are marked');
    await answer.getByText(/not supported by the data: marked below/).waitFor();
    await shot('helix-answer');
  });

  test('the car page has the ask-my-data panel once the feature is enabled, and it answers', { timeout: 90_000 }, async () => {
    await page.goto(`${stack.baseUrl}/cars/${VIN}`);
    const panel = page.getByTestId('helix-panel');
    await panel.waitFor();
    const ask = panel.locator('[data-feature="ask_my_data"]');
    await ask.getByLabel('Question').fill('How far did I drive? Use the drives tool.');
    await ask.getByRole('button', { name: 'Ask my data' }).click();
    await ask.locator('[data-testid="helix-answer"][data-status="done"]').waitFor({ timeout: 60_000 });
    assert.match(await ask.getByTestId('helix-text').innerText(), /\S/);
    await ask.getByText(/The data it used \(\d+ tool calls?\)/).waitFor();
    await shot('helix-panel');
    // the panel is not offered for a feature left disabled (maintenance hints)
    assert.equal(await panel.locator('[data-feature="maintenance_hints"]').count(), 0);

    // disabled meanwhile (by another administrator): the API's typed answer, in words
    await gql('mutation { setHelixFeature(name: "ask_my_data", enabled: false) { name } }');
    await ask.getByRole('button', { name: 'Ask my data' }).click();
    const unavailable = ask.locator('[data-testid="helix-unavailable"][data-code="HELIX_DISABLED"]');
    await unavailable.waitFor();
    assert.match(await unavailable.innerText(), /This feature is disabled: an administrator enables it/);
    await gql('mutation { setHelixFeature(name: "ask_my_data", enabled: true) { name } }');

    await page.setViewportSize({ width: 375, height: 812 });
    await page.goto(`${stack.baseUrl}/helix`);
    await page.locator('[data-feature="help_chat"]').waitFor();
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 375), 'the Helix page fits a phone screen');
    await shot('helix-phone');
    await page.setViewportSize({ width: 1280, height: 900 });
  });
});

describe('channel and rule editors', { concurrency: false }, () => {
  test('a webhook channel is created, edited with its secret kept, turned off and deleted', { timeout: 60_000 }, async () => {
    await page.goto(`${stack.baseUrl}/notifications`);
    await page.getByRole('heading', { level: 1, name: 'Notifications' }).waitFor();
    await page.getByLabel('Kind', { exact: true }).selectOption('WEBHOOK');
    await page.getByLabel('Name', { exact: true }).fill('e2e hook');
    // plain http is allowed to a loopback host
    await page.getByLabel('URL', { exact: true }).fill('http://127.0.0.1:9/hook');
    await page.getByLabel('Signing secret').fill('e2e-secret-0123456789');
    await page.getByRole('button', { name: 'Add channel' }).click();
    await page.getByText('Channel “e2e hook” added.').waitFor();
    const channels = page.getByRole('region', { name: 'Channels' });
    const item = channels.locator('li[data-channel-id]').filter({ hasText: 'e2e hook' });
    await item.waitFor();
    const id = await item.getAttribute('data-channel-id');
    const channelItem = channels.locator(`li[data-channel-id="${id}"]`);

    await channelItem.getByRole('button', { name: 'Edit: e2e hook' }).click();
    const form = channelItem.getByRole('form', { name: 'Edit e2e hook' });
    const name = form.getByLabel('Name', { exact: true });
    assert.equal(await name.inputValue(), 'e2e hook', 'the name is filled in');
    assert.equal(await form.getByLabel('URL', { exact: true }).inputValue(), 'http://127.0.0.1:9/hook', 'the URL is filled in');
    const secret = form.getByLabel(/Signing secret/);
    assert.equal(await secret.inputValue(), '', 'a secret is never filled in');
    const secretHelp = await secret.getAttribute('aria-describedby');
    const secretText = await page.evaluate((ids) => ids.split(' ').map((i) => document.getElementById(i)?.textContent).join(' '), secretHelp ?? '');
    assert.match(secretText, /Unchanged unless you type a new one\./);
    await name.fill('e2e hook renamed');
    await shot('channel-edit-form');
    const edits = [];
    page.on('request', (request) => {
      const body = request.postData() ?? '';
      if (request.method() === 'POST' && body.includes('EditNotificationChannel')) edits.push(JSON.parse(body).variables);
    });
    await form.getByRole('button', { name: 'Save changes' }).click();
    await channelItem.getByText('Channel “e2e hook renamed” saved.').waitFor();
    await channelItem.getByRole('heading', { name: 'e2e hook renamed' }).waitFor();
    assert.equal(edits.length, 1);
    assert.equal(edits[0].name, 'e2e hook renamed');
    assert.ok(!('secret' in edits[0].settings), 'the secret left empty is not sent (the API keeps it)');
    const stored = (await gql('{ notificationChannels { id name enabled settings secretFields } }')).notificationChannels.find((c) => c.id === id);
    assert.equal(stored.name, 'e2e hook renamed');
    assert.deepEqual(stored.secretFields, ['secret'], 'the secret is still set');
    await shot('channel-edited');

    await channelItem.getByRole('button', { name: 'Turn off: e2e hook renamed' }).click();
    await channelItem.getByText('Disabled', { exact: true }).waitFor();
    await channelItem.getByRole('button', { name: 'Turn on: e2e hook renamed' }).waitFor();

    await channelItem.getByRole('button', { name: 'Delete: e2e hook renamed' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete the channel “e2e hook renamed”?' });
    await dialog.waitFor();
    assert.ok(await dialog.getByRole('button', { name: 'Cancel' }).evaluate((b) => b === document.activeElement), 'focus starts on Cancel');
    await shot('channel-delete-confirm');
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await channelItem.waitFor({ state: 'detached' });
    const left = (await gql('{ notificationChannels { id } }')).notificationChannels;
    assert.ok(!left.some((c) => c.id === id), 'the channel is gone');
  });

  test('a rule is created (off), edited (its schedule, kept after a reload), turned on, fires for real, its runs shown page by page, and deleted', { timeout: 180_000 }, async () => {
    await page.goto(`${stack.baseUrl}/automations`);
    await page.getByRole('heading', { level: 1, name: 'Automations' }).waitFor();
    // made off, so it cannot fire before the test turns it on; 03:00 until it is edited
    const rule = {
      name: 'E2E every minute',
      enabled: false,
      target: { all: true },
      trigger: { kind: 'schedule', expression: '0 3 * * *', timezone: 'Europe/Berlin' },
      actions: [{ kind: 'notify', title: '{vin}: {rule}', body: '{trigger}' }],
    };
    const editor = page.getByLabel('Rule (JSON)');
    await editor.fill(JSON.stringify(rule, null, 2));
    await page.getByRole('button', { name: 'Save rule' }).click();
    const rules = page.getByRole('region', { name: 'Rules' });
    const item = rules.locator('li[data-rule-id]').filter({ hasText: 'E2E every minute' });
    await item.getByTestId('rule-trigger').filter({ hasText: '0 3 * * * (Europe/Berlin)' }).waitFor();
    const toggle = item.getByRole('switch', { name: /Enabled.*E2E every minute/ });
    assert.equal(await toggle.isChecked(), false, 'made off');

    await item.getByRole('button', { name: 'Edit: E2E every minute' }).click();
    await page.getByRole('heading', { name: 'Edit rule “E2E every minute”' }).waitFor();
    const stored = JSON.parse(await editor.inputValue());
    assert.equal(stored.trigger.expression, '0 3 * * *', 'the editor holds the stored rule');
    assert.equal(stored.enabled, false, 'still off once edited');
    assert.ok('cooldown_s' in stored, 'as stored, with its defaults');
    // the same per-path errors as when creating
    await editor.fill(JSON.stringify({ ...stored, trigger: { ...stored.trigger, timezone: 'Europe/Brln' } }, null, 2));
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByTestId('rule-errors').filter({ hasText: 'rule.trigger.schedule.timezone' }).waitFor();
    assert.equal(await editor.getAttribute('aria-invalid'), 'true');
    await editor.fill(JSON.stringify({ ...stored, trigger: { ...stored.trigger, expression: '* * * * *' } }, null, 2));
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Rule “E2E every minute” updated.').waitFor();
    assert.equal(await page.getByTestId('rule-errors').count(), 0);
    await shot('rule-edited');

    await page.reload();
    await item.getByTestId('rule-trigger').filter({ hasText: '* * * * * (Europe/Berlin)' }).waitFor();
    await item.getByRole('button', { name: 'Edit: E2E every minute' }).click();
    assert.equal(JSON.parse(await editor.inputValue()).trigger.expression, '* * * * *', 'the change is stored');
    const ruleId = await item.getAttribute('data-rule-id');

    // still off: it has not fired
    const runsButton = item.getByRole('button', { name: 'Runs: E2E every minute' });
    const runs = item.getByRole('region', { name: 'Runs of E2E every minute' });
    const listed = runs.locator('li[data-run-id]');
    await runsButton.click();
    await runs.getByText('This rule has not fired yet.').waitFor();
    await runsButton.click();
    await runs.waitFor({ state: 'detached' });

    // on: the API's automation tick (every 15 s) loads it and fires it at the next minute, once for each
    // of the six demo cars, so more than a page (five) of real runs; the list is opened again until the
    // first page is full, has a next page and its runs have run their action
    await toggle.click();
    await item.getByRole('switch', { name: /Enabled.*E2E every minute/, checked: true }).waitFor();
    // the rule open in the editor follows its switch, and saving it from there keeps it on
    await until(async () => JSON.parse(await editor.inputValue()).enabled === true, 'the editor to say "enabled": true');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Rule “E2E every minute” updated.').waitFor();
    assert.equal(JSON.parse(await editor.inputValue()).enabled, true, 'saved as on');
    assert.equal(await toggle.isChecked(), true, 'still on after a save from the editor');
    assert.equal((await gql('query R($id: ID!) { automationRule(id: $id) { enabled } }', { id: ruleId })).automationRule.enabled, true);
    const started = Date.now();
    for (;;) {
      await runsButton.click();
      await listed.first().or(runs.getByText('This rule has not fired yet.')).first().waitFor();
      const texts = await listed.allInnerTexts();
      const next = runs.getByRole('button', { name: 'Next page' });
      if (texts.length === 5 && texts.every((text) => /^done\b[\s\S]*→ sent to \d+ channel\(s\)/.test(text)) && (await next.count()) === 1 && (await next.isEnabled())) break;
      assert.ok(Date.now() - started < RUN_TIMEOUT_MS, `the rule fired within ${RUN_TIMEOUT_MS / 1000} s (runs listed: ${texts.length})`);
      await runsButton.click();
      await runs.waitFor({ state: 'detached' });
      await sleep(5000);
    }
    console.log(`a page of real runs after ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const first = await listed.first().innerText();
    assert.match(first, /^done\b/, 'the run is done');
    assert.match(first, /schedule '\* \* \* \* \*' at \d{4}-\d\d-\d\d \d\d:\d\d Europe\/Berlin/, 'what set it off');
    assert.match(first, /notify: 5YJ3E7EB2NF\d{6}: E2E every minute → sent to \d+ channel\(s\)/, 'the action with its outcome');
    await shot('rule-runs');

    // the API has these runs, newest first, of this rule only
    const api = (await gql('query Runs($id: ID!) { automationRuns(ruleId: $id, first: 50) { edges { node { id ruleId status } } } }', { id: ruleId })).automationRuns.edges.map((e) => e.node);
    assert.ok(api.length >= 6, `more than a page of runs (${api.length})`);
    assert.ok(api.every((run) => run.ruleId === ruleId));
    const pageOne = await listed.evaluateAll((items) => items.map((li) => li.getAttribute('data-run-id')));
    assert.ok(pageOne.every((id) => api.some((run) => run.id === id)), 'page 1 lists the API’s runs');

    await runs.getByRole('button', { name: 'Next page' }).click();
    await runs.getByText('Page 2').waitFor();
    await listed.first().waitFor();
    await runs.locator(`li[data-run-id="${pageOne[0]}"]`).waitFor({ state: 'detached' });
    const pageTwo = await listed.evaluateAll((items) => items.map((li) => li.getAttribute('data-run-id')));
    assert.ok(pageTwo.length >= 1 && pageTwo.length <= 5, `page 2 has the rest (${pageTwo.length})`);
    assert.ok(Math.max(...pageTwo.map(Number)) < Math.min(...pageOne.map(Number)), 'page 2 is older than page 1');
    await shot('rule-runs-page-2');
    await runs.getByRole('button', { name: 'Previous page' }).click();
    await runs.locator(`li[data-run-id="${pageOne[0]}"]`).waitFor();

    await item.getByRole('button', { name: 'Delete: E2E every minute' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete the rule “E2E every minute”?' });
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await page.getByText('Rule “E2E every minute” deleted.').waitFor();
    await item.waitFor({ state: 'detached' });
    // the editor no longer edits the deleted rule
    await page.getByRole('heading', { name: 'New rule' }).waitFor();
    const left = (await gql('{ automationRules { id } }')).automationRules;
    assert.ok(!left.some((r) => r.id === ruleId), 'the rule is gone');
  });

  test('a save refused by the API’s rate limit says so, and nothing is saved', { timeout: 120_000 }, async () => {
    const before = (await gql('{ automationRules { id } }')).automationRules;
    const refusedAlert = page.getByRole('alert').filter({ hasText: /Too many requests: wait \d+ s and try again\./ });
    const savedStatus = page.getByText(/Rule “.*” saved\./);
    // The e2e user's mutations are used up and kept used up while the page saves (queries have their own
    // limit). The limit refills one mutation every 200 ms, so parallel loops take each as it comes; one may
    // still reach the page's save first, and then that attempt is undone and made again.
    const holdTheLimit = async (attempt) => {
      let refused = 0;
      let draining = true;
      const loops = Array.from({ length: 8 }, async () => {
        while (draining) {
          const answer = await gql.raw('mutation { deleteAutomationRule(id: "0") { removed } }');
          if (answer.errors?.[0]?.extensions?.code === 'RATE_LIMITED') refused += 1;
        }
      });
      try {
        await until(() => refused > 0, 'the API to refuse a mutation as RATE_LIMITED');
        return await attempt();
      } finally {
        draining = false;
        await Promise.all(loops);
      }
    };
    for (let attempt = 1; ; attempt += 1) {
      await page.goto(`${stack.baseUrl}/automations`);
      await page.getByRole('heading', { name: 'New rule' }).waitFor();
      const outcome = await holdTheLimit(async () => {
        await page.getByRole('button', { name: 'Save rule' }).click();
        return Promise.race([refusedAlert.waitFor().then(() => 'refused'), savedStatus.waitFor().then(() => 'saved')]);
      });
      if (outcome === 'refused') break;
      assert.ok(attempt < 3, 'the page’s save met the limit in one of three attempts');
      const extra = (await gql('{ automationRules { id } }')).automationRules.filter((rule) => !before.some((b) => b.id === rule.id));
      for (const rule of extra) {
        await until(async () => !(await gql.raw('mutation($id: ID!) { deleteAutomationRule(id: $id) { removed } }', { id: rule.id })).errors, 'the limit to let the undo through');
      }
    }
    assert.equal(await savedStatus.count(), 0, 'no success shown');
    assert.deepEqual((await gql('{ automationRules { id } }')).automationRules, before, 'nothing saved');
    await shot('rule-rate-limited');
  });

  test('the browser logged no errors', () => {
    assert.deepEqual(consoleErrors, []);
  });
});
