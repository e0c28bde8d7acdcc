import { describe, expect, it } from 'vitest';
import { describeActions, parseRule, ruleErrors, ruleKey, STARTER_RULE, STARTER_TEXT } from './automationRule';

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
