import { describe, expect, it } from 'vitest';
import { describeActions, describeRunActions, describeTrigger, parseRule, ruleErrors, ruleKey, STARTER_RULE, STARTER_TEXT, withEnabled } from './automationRule';

describe('parseRule', () => {
  it('parses the starter rule', () => {
    expect(parseRule(STARTER_TEXT)).toEqual({ rule: STARTER_RULE, error: null });
  });

  it('says why the text is no rule', () => {
    expect(parseRule('  ').error).toBe('The rule is empty.');
    expect(parseRule('{"name": ').error).toMatch(/^Not valid JSON: /);
    expect(parseRule('[1]').error).toMatch(/must be a JSON object/);
    expect(parseRule('null').rule).toBeNull();
  });
});

describe('ruleErrors', () => {
  it('maps each problem to its path and message', () => {
    const errors = ruleErrors([
      { __typename: 'InvalidInput', field: 'rule.trigger.threshold.field', message: "unknown telemetry field 'Sooc' (did you mean 'Soc'?)" },
      { __typename: 'InvalidInput', field: 'rule.actions[0].notify.body', message: 'placeholder {field} is not available' },
      { __typename: 'InvalidInput', field: 'rule.trigger.threshold.field', message: "unknown telemetry field 'Sooc' (did you mean 'Soc'?)" },
      { __typename: 'NotFoundProblem', field: null, message: 'no such rule' },
    ]);
    expect(errors.map((e) => e.text)).toEqual([
      "rule.trigger.threshold.field: unknown telemetry field 'Sooc' (did you mean 'Soc'?)",
      'rule.actions[0].notify.body: placeholder {field} is not available',
      'no such rule',
    ]);
    expect(errors[0]?.path).toBe('rule.trigger.threshold.field');
    expect(errors[2]?.path).toBe('');
  });

  it('names the top-level key of a path', () => {
    expect(ruleKey('rule.trigger.threshold.field')).toBe('trigger');
    expect(ruleKey('rule.actions[1].command.params.percent')).toBe('actions');
    expect(ruleKey('debounce_s')).toBe('debounce_s');
    expect(ruleKey('rule')).toBeNull();
    expect(ruleKey('')).toBeNull();
  });
});

describe('describeActions', () => {
  it('says what each action would do', () => {
    expect(
      describeActions([
        { kind: 'notify', title: 'car is at 19 %' },
        { kind: 'command', name: 'set_charge_limit', params: { percent: 80 } },
        { kind: 'webhook', url: 'https://example.com/h' },
        { kind: 'other' },
      ]),
    ).toEqual(['notify: car is at 19 %', 'command: set_charge_limit', 'webhook: https://example.com/h', 'other']);
    expect(describeActions(null)).toEqual([]);
  });
});

describe('describeTrigger', () => {
  it('says each trigger kind in a few words', () => {
    expect(describeTrigger(STARTER_RULE)).toBe('Soc below 20');
    expect(describeTrigger({ trigger: { kind: 'threshold', field: 'VehicleSpeed', direction: 'above', value: 8 } })).toBe('VehicleSpeed above 8');
    expect(describeTrigger({ trigger: { kind: 'equals', field: 'Gear', value: 'P' } })).toBe('Gear = "P"');
    expect(describeTrigger({ trigger: { kind: 'state', from: 'charging', to: 'online' } })).toBe('charging → online');
    expect(describeTrigger({ trigger: { kind: 'state', to: 'driving' } })).toBe('→ driving');
    expect(describeTrigger({ trigger: { kind: 'charging', event: 'started' } })).toBe('started');
    expect(describeTrigger({ trigger: { kind: 'alert' } })).toBe('*');
    expect(describeTrigger({ trigger: { kind: 'schedule', expression: '0 7 * * 1-5', timezone: 'Europe/Berlin' } })).toBe('0 7 * * 1-5 (Europe/Berlin)');
    expect(describeTrigger({ trigger: { kind: 'schedule', expression: '@daily', timezone: 'UTC' } })).toBe('@daily');
    expect(describeTrigger({ trigger: { kind: 'geofence', event: 'enter', circle: { name: 'Home' } } })).toBe('enter Home');
    expect(describeTrigger({ trigger: { kind: 'geofence', event: 'leave', geofence_id: 3 } })).toBe('leave #3');
  });

  it('says nothing of what is no trigger', () => {
    expect(describeTrigger(null)).toBe('');
    expect(describeTrigger({ trigger: { kind: 'telepathy' } })).toBe('');
  });
});

describe('describeRunActions', () => {
  it('gives each action with its outcome, failures marked', () => {
    expect(
      describeRunActions([
        { kind: 'notify', title: 'Low', outcome: 'sent to 1 channel(s)' },
        { kind: 'command', name: 'charge_start', outcome: 'failed: VEHICLE_ASLEEP' },
        { kind: 'webhook', url: 'https://e.org/h' },
      ]),
    ).toEqual([
      { text: 'notify: Low', outcome: 'sent to 1 channel(s)', failed: false },
      { text: 'command: charge_start', outcome: 'failed: VEHICLE_ASLEEP', failed: true },
      { text: 'webhook: https://e.org/h', outcome: null, failed: false },
    ]);
    expect(describeRunActions('x')).toEqual([]);
  });
});

describe('withEnabled', () => {
  const stored = JSON.stringify({ name: 'E2E', enabled: false, trigger: { kind: 'schedule', expression: '* * * * *' }, cooldown_s: 60 }, null, 2);
  it('turns the editor’s rule on as the switch did, the rest and its order kept', () => {
    const text = withEnabled(stored, true);
    expect(JSON.parse(text)).toEqual({ ...JSON.parse(stored), enabled: true });
    expect(Object.keys(JSON.parse(text))).toEqual(['name', 'enabled', 'trigger', 'cooldown_s']);
  });
  it('keeps the user’s unsaved changes to other keys', () => {
    const edited = stored.replace('"* * * * *"', '"0 3 * * *"');
    expect(JSON.parse(withEnabled(edited, true)).trigger.expression).toBe('0 3 * * *');
  });
  it('adds `enabled` to a rule that does not say', () => {
    expect(JSON.parse(withEnabled('{"name": "x"}', false))).toEqual({ name: 'x', enabled: false });
  });
  it('leaves text alone when it already agrees or is not a rule object', () => {
    expect(withEnabled(stored, false)).toBe(stored);
    expect(withEnabled('{"name": ', true)).toBe('{"name": ');
    expect(withEnabled('[1]', true)).toBe('[1]');
  });
});
