import { describe, expect, it } from 'vitest';
import {
  choiceValue,
  controlFor,
  initialValues,
  newIdempotencyKey,
  paramOfField,
  parseNumber,
  validateParams,
  type ParamSpec,
} from './commandForm';

function spec(partial: Partial<ParamSpec> & Pick<ParamSpec, 'name' | 'kind'>): ParamSpec {
  return { description: '', required: true, choices: [], choiceValues: [], secret: false, ...partial };
}

// as commandCatalogue describes them
const percent = spec({ name: 'percent', kind: 'int', minimum: 50, maximum: 100, unit: '%' });
const amps = spec({ name: 'charging_amps', kind: 'int', minimum: 0, maximum: 48, unit: 'A' });
const lat = spec({ name: 'lat', kind: 'float', minimum: -90, maximum: 90 });
const id = spec({ name: 'id', kind: 'int', minimum: 1, maximum: 9007199254740991 });
const seat = spec({ name: 'seat_position', kind: 'enum', choices: ['0', '1', '2'], choiceValues: [0, 1, 2] });
const trunk = spec({ name: 'which_trunk', kind: 'enum', choices: ['front', 'rear'], choiceValues: ['front', 'rear'] });
const name = spec({ name: 'name', kind: 'string', required: false, maxLength: 5 });
const pin = spec({ name: 'pin', kind: 'string', secret: true });
const enabled = spec({ name: 'enabled', kind: 'bool' });
const home = spec({ name: 'home', kind: 'bool', required: false });
const value = spec({ name: 'value', kind: 'object' });

describe('validateParams', () => {
  it('refuses an out-of-range value and names the range', () => {
    expect(validateParams([percent], { percent: '120' }).errors).toEqual({
      percent: { key: 'validation.range', params: { min: 50, max: 100 } },
    });
    expect(validateParams([percent], { percent: '49' }).errors.percent?.key).toBe('validation.range');
    expect(validateParams([amps], { charging_amps: '-1' }).errors.charging_amps?.key).toBe('validation.range');
  });

  it('accepts the bounds themselves and sends numbers', () => {
    expect(validateParams([percent], { percent: '50' })).toEqual({ params: { percent: 50 }, errors: {} });
    expect(validateParams([percent], { percent: ' 100 ' })).toEqual({ params: { percent: 100 }, errors: {} });
    expect(validateParams([lat], { lat: '-52.5' }).params).toEqual({ lat: -52.5 });
  });

  it('wants whole numbers for int, numbers at all for numeric kinds', () => {
    expect(validateParams([percent], { percent: '80.5' }).errors.percent?.key).toBe('validation.integer');
    expect(validateParams([percent], { percent: 'eighty' }).errors.percent?.key).toBe('validation.number');
    expect(validateParams([percent], { percent: '8e1' }).params).toEqual({ percent: 80 });
  });

  it('treats the largest safe integer as no upper bound', () => {
    expect(validateParams([id], { id: '0' }).errors.id).toEqual({ key: 'validation.min', params: { min: 1 } });
    expect(validateParams([id], { id: '123456' }).params).toEqual({ id: 123456 });
  });

  it('requires required values and leaves out empty optional ones', () => {
    expect(validateParams([percent], { percent: '' }).errors.percent?.key).toBe('validation.required');
    expect(validateParams([percent], {}).errors.percent?.key).toBe('validation.required');
    expect(validateParams([name], { name: '   ' })).toEqual({ params: {}, errors: {} });
  });

  it('checks choices and sends numeric ones as numbers', () => {
    expect(validateParams([seat], { seat_position: '1' }).params).toEqual({ seat_position: 1 });
    expect(validateParams([trunk], { which_trunk: 'rear' }).params).toEqual({ which_trunk: 'rear' });
    expect(validateParams([trunk], { which_trunk: 'side' }).errors.which_trunk).toEqual({
      key: 'validation.choice',
      params: { choices: 'front, rear' },
    });
  });

  it('limits text length, trims text but never secrets', () => {
    expect(validateParams([name], { name: 'toolong' }).errors.name).toEqual({ key: 'validation.maxLength', params: { max: 5 } });
    expect(validateParams([name], { name: ' Volt ' }).params).toEqual({ name: 'Volt' });
    expect(validateParams([pin], { pin: ' 12 ' }).params).toEqual({ pin: ' 12 ' });
  });

  it('sends a required flag as set, an optional one only when chosen', () => {
    expect(validateParams([enabled], { enabled: false }).params).toEqual({ enabled: false });
    expect(validateParams([enabled], { enabled: true }).params).toEqual({ enabled: true });
    expect(validateParams([home], { home: '' }).params).toEqual({});
    expect(validateParams([home], { home: 'false' }).params).toEqual({ home: false });
  });

  it('parses JSON for objects and lists', () => {
    expect(validateParams([value], { value: '{"a": 1}' }).params).toEqual({ value: { a: 1 } });
    expect(validateParams([value], { value: '[1]' }).errors.value?.key).toBe('validation.json');
    expect(validateParams([value], { value: '{a' }).errors.value?.key).toBe('validation.json');
  });

  it('reports every wrong field at once', () => {
    const result = validateParams([percent, trunk, enabled], { percent: '5', which_trunk: '', enabled: true });
    expect(Object.keys(result.errors).sort()).toEqual(['percent', 'which_trunk']);
  });
});

describe('form helpers', () => {
  it('picks a control per kind', () => {
    expect(controlFor(percent)).toBe('number');
    expect(controlFor(seat)).toBe('select');
    expect(controlFor(enabled)).toBe('checkbox');
    expect(controlFor(home)).toBe('tristate');
    expect(controlFor(pin)).toBe('password');
    expect(controlFor(value)).toBe('json');
    expect(initialValues([percent, enabled, home])).toEqual({ percent: '', enabled: false, home: '' });
  });

  it('parses numbers, a decimal comma included', () => {
    expect(parseNumber('2,5')).toBe(2.5);
    expect(parseNumber('-0.5')).toBe(-0.5);
    expect(parseNumber('\u22123')).toBe(-3);
    expect(parseNumber('1,000')).toBeNull();
    expect(parseNumber('12abc')).toBeNull();
    expect(parseNumber('')).toBeNull();
  });

  it('sends the typed value the catalogue gives for a choice, never a guess', () => {
    const level = { choices: ['0', '01', 'vent'], choiceValues: [0, '01', 'vent'] };
    expect(choiceValue(level, '0')).toBe(0);
    expect(choiceValue(level, '01')).toBe('01');
    expect(choiceValue(level, 'vent')).toBe('vent');
    expect(choiceValue({ choices: ['2000'], choiceValues: [] }, '2000')).toBe('2000');
  });

  it('maps API problem fields to parameters', () => {
    expect(paramOfField('params.percent')).toBe('percent');
    expect(paramOfField('params.value.lat')).toBe('value');
    expect(paramOfField('params')).toBeNull();
    expect(paramOfField(null)).toBeNull();
  });

  it('makes a different idempotency key each time', () => {
    const a = newIdempotencyKey();
    expect(a).toMatch(/^[0-9a-f-]{32,36}$/);
    expect(newIdempotencyKey()).not.toBe(a);
  });
});
