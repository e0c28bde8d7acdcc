import { describe, expect, it } from 'vitest';
import { buildHelixInput, helixFields, humanize, initialHelixValues, inputProblems } from './helixForm';

// shaped like the API's features' inputSchema (teslasync/helix/features.py), plus every supported kind
const SCHEMA = {
  type: 'object',
  properties: {
    question: { type: 'string', maxLength: 1000 },
    vin: { type: 'string' },
    weekOf: { type: 'string', description: 'A day of the week, YYYY-MM-DD.' },
    days: { type: 'integer', minimum: 1, maximum: 31, default: 7 },
    ratio: { type: 'number', minimum: 0.5 },
    detailed: { type: 'boolean' },
    strict: { type: 'boolean' },
    tone: { enum: ['short', 'long', 3] },
    driveIds: { type: 'array', items: { type: 'string' }, minItems: 2, maxItems: 2 },
    alert: { type: 'object', description: 'The alert: name, startedAt, audiences.' },
    nickname: { type: ['string', 'null'], title: 'Nick name', minLength: 2, maxLength: 5 },
  },
  required: ['question', 'strict'],
  additionalProperties: false,
};

describe('helixFields', () => {
  const fields = helixFields(SCHEMA);
  const by = (name: string) => fields.find((f) => f.name === name)!;

  it('has one field per property, in order, with its control', () => {
    expect(fields.map((f) => [f.name, f.control])).toEqual([
      ['question', 'textarea'],
      ['vin', 'text'],
      ['weekOf', 'text'],
      ['days', 'number'],
      ['ratio', 'number'],
      ['detailed', 'tristate'],
      ['strict', 'checkbox'],
      ['tone', 'select'],
      ['driveIds', 'list'],
      ['alert', 'json'],
      ['nickname', 'text'],
    ]);
  });

  it('reads required, bounds, descriptions and titles', () => {
    expect(by('question').required).toBe(true);
    expect(by('vin').required).toBe(false);
    expect(by('days')).toMatchObject({ integer: true, minimum: 1, maximum: 31, defaultValue: 7 });
    expect(by('ratio')).toMatchObject({ integer: false, minimum: 0.5, maximum: null });
    expect(by('weekOf')).toMatchObject({ label: 'Week of', description: 'A day of the week, YYYY-MM-DD.' });
    expect(by('nickname')).toMatchObject({ label: 'Nick name', minLength: 2, maxLength: 5 });
    expect(by('driveIds')).toMatchObject({ minItems: 2, maxItems: 2 });
    expect(by('tone').choices).toEqual(['short', 'long', 3]);
  });

  it('gives nothing for a schema that is not an object with properties', () => {
    expect(helixFields(null)).toEqual([]);
    expect(helixFields('{}')).toEqual([]);
    expect(helixFields({ type: 'object' })).toEqual([]);
  });

  it('makes names readable', () => {
    expect(humanize('driveId')).toBe('Drive id');
    expect(humanize('week_of')).toBe('Week of');
    expect(humanize('vin')).toBe('Vin');
  });
});

describe('initialHelixValues', () => {
  const fields = helixFields(SCHEMA);

  it('starts from defaults, empty otherwise, a required flag off', () => {
    const values = initialHelixValues(fields);
    expect(values.days).toBe('7');
    expect(values.question).toBe('');
    expect(values.strict).toBe(false);
    expect(values.detailed).toBe('');
  });

  it('takes given values in each control’s form', () => {
    const values = initialHelixValues(fields, { driveIds: ['1', '2'], tone: 'long', alert: { name: 'x' }, strict: true });
    expect(values.driveIds).toBe('1, 2');
    expect(values.tone).toBe('1');
    expect(values.alert).toBe('{"name":"x"}');
    expect(values.strict).toBe(true);
  });
});

describe('buildHelixInput', () => {
  const fields = helixFields(SCHEMA);
  const valid = { ...initialHelixValues(fields), question: '  How far did I drive?  ', strict: true };

  it('types each value and leaves empty optional ones out', () => {
    const { input, errors } = buildHelixInput(fields, { ...valid, days: '14', ratio: '0,75', detailed: 'false', tone: '2', driveIds: 'a, b', alert: '{"name":"BMS_a"}' });
    expect(errors).toEqual({});
    expect(input).toEqual({
      question: 'How far did I drive?',
      days: 14,
      ratio: 0.75,
      detailed: false,
      strict: true,
      tone: 3,
      driveIds: ['a', 'b'],
      alert: { name: 'BMS_a' },
    });
  });

  it('adds fixed values unchecked and does not ask for them', () => {
    const onlyQuestion = helixFields({ type: 'object', properties: { question: { type: 'string' }, vin: { type: 'string' } }, required: ['question', 'vin'] });
    const { input, errors } = buildHelixInput(onlyQuestion, { question: 'Hi', vin: '' }, { vin: '5YJ3E7EB2NF000001' });
    expect(errors).toEqual({});
    expect(input).toEqual({ vin: '5YJ3E7EB2NF000001', question: 'Hi' });
  });

  it('names each problem', () => {
    const { errors } = buildHelixInput(fields, {
      ...valid,
      question: ' ',
      days: '40',
      ratio: 'abc',
      tone: '9',
      driveIds: 'only-one',
      alert: '{',
      nickname: 'a',
    });
    expect(errors.question).toEqual({ key: 'validation.required' });
    expect(errors.days).toEqual({ key: 'validation.range', params: { min: 1, max: 31 } });
    expect(errors.ratio).toEqual({ key: 'validation.number' });
    expect(errors.tone?.key).toBe('validation.choice');
    expect(errors.driveIds).toEqual({ key: 'helix.errorMinItems', params: { min: 2 } });
    expect(errors.alert).toEqual({ key: 'validation.json' });
    expect(errors.nickname).toEqual({ key: 'helix.errorMinLength', params: { min: 2 } });
  });

  it('checks integers, lower bounds, lengths and list maxima', () => {
    const { errors } = buildHelixInput(fields, { ...valid, days: '2.5', ratio: '0.1', nickname: 'abcdefg', driveIds: 'a,b,c' });
    expect(errors.days).toEqual({ key: 'validation.integer' });
    expect(errors.ratio).toEqual({ key: 'validation.min', params: { min: 0.5 } });
    expect(errors.nickname).toEqual({ key: 'validation.maxLength', params: { max: 5 } });
    expect(errors.driveIds).toEqual({ key: 'helix.errorMaxItems', params: { max: 2 } });
  });
});

describe('inputProblems', () => {
  const fields = helixFields(SCHEMA);

  it('puts the API’s BAD_INPUT parts beside their fields', () => {
    const found = inputProblems('input.question: is required; input.questionx: is not an input of this feature', fields);
    expect(found.fields).toEqual({ question: 'is required' });
    expect(found.other).toEqual(['input.questionx: is not an input of this feature']);
  });
});
