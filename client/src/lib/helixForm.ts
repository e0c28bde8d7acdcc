// A Helix feature's input form, generated from its `inputSchema` (a JSON schema object): one field per
// property (string, number, integer, boolean, enum; a list of strings; anything else as JSON), checked
// (required, minimum/maximum, minLength/maxLength, minItems/maxItems) before it is sent, and turned into
// the `input` JSON runHelixFeature takes.

import type { MessageKey } from '../i18n/en';
import type { Params } from '../i18n/translate';
import { parseNumber } from './commandForm';

export type HelixControl = 'text' | 'textarea' | 'number' | 'checkbox' | 'tristate' | 'select' | 'list' | 'json';

export interface HelixField {
  name: string;
  /** The schema's `title`, else the property name made readable ("driveId" → "Drive id"). */
  label: string;
  description: string | null;
  control: HelixControl;
  required: boolean;
  /** For number and integer. */
  integer: boolean;
  minimum: number | null;
  maximum: number | null;
  minLength: number | null;
  maxLength: number | null;
  minItems: number | null;
  maxItems: number | null;
  /** An enum's values, as the schema gives them (typed); shown by `String(value)`. */
  choices: readonly unknown[];
  /** The schema's `default`, if any. */
  defaultValue: unknown;
}

export type HelixValues = Record<string, string | boolean>;

export interface HelixFieldError {
  key: MessageKey;
  params?: Params;
}

const record = (value: unknown): Record<string, unknown> | null =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;

const num = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);

/** "driveId" → "Drive id", "week_of" → "Week of". */
export function humanize(name: string): string {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ')
    .trim()
    .toLowerCase();
  return words ? words[0]!.toUpperCase() + words.slice(1) : name;
}

/** The schema's type, without "null" (["string", "null"] is a string that may be left out). */
function typeOf(schema: Record<string, unknown>): string | null {
  const type = schema.type;
  if (typeof type === 'string') return type;
  if (Array.isArray(type)) return (type.find((t) => t !== 'null') as string | undefined) ?? null;
  return null;
}

/** Long texts (questions, requests) get a text area. */
const LONG_TEXT = 200;

function controlOf(schema: Record<string, unknown>, required: boolean): HelixControl {
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return 'select';
  switch (typeOf(schema)) {
    case 'string': {
      const max = num(schema.maxLength);
      return max !== null && max > LONG_TEXT ? 'textarea' : 'text';
    }
    case 'number':
    case 'integer':
      return 'number';
    case 'boolean':
      return required ? 'checkbox' : 'tristate';
    case 'array': {
      const items = record(schema.items);
      return items && typeOf(items) === 'string' && !Array.isArray(items.enum) ? 'list' : 'json';
    }
    default:
      return 'json';
  }
}

/** The fields of an input schema, in the schema's order; [] for a schema that is not an object. */
export function helixFields(inputSchema: unknown): HelixField[] {
  const schema = record(inputSchema);
  const properties = record(schema?.properties);
  if (!schema || !properties) return [];
  const required = new Set(Array.isArray(schema.required) ? schema.required.filter((r): r is string => typeof r === 'string') : []);
  return Object.entries(properties).map(([name, raw]) => {
    const spec = record(raw) ?? {};
    const isRequired = required.has(name);
    return {
      name,
      label: typeof spec.title === 'string' && spec.title ? spec.title : humanize(name),
      description: typeof spec.description === 'string' && spec.description ? spec.description : null,
      control: controlOf(spec, isRequired),
      required: isRequired,
      integer: typeOf(spec) === 'integer',
      minimum: num(spec.minimum),
      maximum: num(spec.maximum),
      minLength: num(spec.minLength),
      maxLength: num(spec.maxLength),
      minItems: num(spec.minItems),
      maxItems: num(spec.maxItems),
      choices: Array.isArray(spec.enum) ? spec.enum : [],
      defaultValue: spec.default,
    };
  });
}

/** What each input starts with: the schema's default, else empty (a required flag: off). */
export function initialHelixValues(fields: readonly HelixField[], given: Record<string, unknown> = {}): HelixValues {
  const values: HelixValues = {};
  for (const field of fields) {
    const start = field.name in given ? given[field.name] : field.defaultValue;
    if (field.control === 'checkbox') values[field.name] = start === true;
    else if (start === undefined || start === null) values[field.name] = '';
    else if (field.control === 'list' && Array.isArray(start)) values[field.name] = start.map(String).join(', ');
    else if (field.control === 'json') values[field.name] = JSON.stringify(start);
    else if (field.control === 'select') values[field.name] = String(field.choices.findIndex((c) => c === start));
    else values[field.name] = String(start);
  }
  return values;
}

/** A list field's entries: split at commas and line breaks. */
function listItems(text: string): string[] {
  return text
    .split(/[,\n]/)
    .map((s) => s.trim())
    .filter(Boolean);
}

function rangeError(value: number, field: HelixField): HelixFieldError | null {
  const { minimum: min, maximum: max } = field;
  if ((min === null || value >= min) && (max === null || value <= max)) return null;
  if (min !== null && max !== null) return { key: 'validation.range', params: { min, max } };
  if (min !== null) return { key: 'validation.min', params: { min } };
  return { key: 'validation.max', params: { max: max as number } };
}

function checkOne(field: HelixField, raw: string | boolean | undefined): { value?: unknown; error?: HelixFieldError } {
  if (field.control === 'checkbox') return { value: raw === true };
  const text = typeof raw === 'string' ? raw : '';
  if (text.trim() === '') return field.required ? { error: { key: 'validation.required' } } : {};
  switch (field.control) {
    case 'tristate':
      return text === 'true' ? { value: true } : text === 'false' ? { value: false } : { error: { key: 'validation.required' } };
    case 'number': {
      const value = parseNumber(text);
      if (value === null) return { error: { key: 'validation.number' } };
      if (field.integer && !Number.isInteger(value)) return { error: { key: 'validation.integer' } };
      const range = rangeError(value, field);
      return range ? { error: range } : { value };
    }
    case 'select': {
      const index = Number(text);
      if (!Number.isInteger(index) || index < 0 || index >= field.choices.length) {
        return { error: { key: 'validation.choice', params: { choices: field.choices.map(String).join(', ') } } };
      }
      return { value: field.choices[index] };
    }
    case 'list': {
      const items = listItems(text);
      if (field.minItems !== null && items.length < field.minItems) return { error: { key: 'helix.errorMinItems', params: { min: field.minItems } } };
      if (field.maxItems !== null && items.length > field.maxItems) return { error: { key: 'helix.errorMaxItems', params: { max: field.maxItems } } };
      return { value: items };
    }
    case 'json': {
      try {
        return { value: JSON.parse(text) as unknown };
      } catch {
        return { error: { key: 'validation.json' } };
      }
    }
    default: {
      const value = text.trim();
      if (field.minLength !== null && value.length < field.minLength) return { error: { key: 'helix.errorMinLength', params: { min: field.minLength } } };
      if (field.maxLength !== null && value.length > field.maxLength) return { error: { key: 'validation.maxLength', params: { max: field.maxLength } } };
      return { value };
    }
  }
}

/**
 * Every field checked; `input` holds what to send: `fixed` values (a panel's VIN, drive id) as they are,
 * then each field's typed value, leaving out optional ones left empty. Fixed fields are not checked here.
 */
export function buildHelixInput(
  fields: readonly HelixField[],
  values: HelixValues,
  fixed: Record<string, unknown> = {},
): { input: Record<string, unknown>; errors: Record<string, HelixFieldError> } {
  const input: Record<string, unknown> = { ...fixed };
  const errors: Record<string, HelixFieldError> = {};
  for (const field of fields) {
    if (field.name in fixed) continue;
    const { value, error } = checkOne(field, values[field.name]);
    if (error) errors[field.name] = error;
    else if (value !== undefined) input[field.name] = value;
  }
  return { input, errors };
}

/** The field an API problem names: "input.question: is required; input.x: …" → { question: "is required" }. */
export function inputProblems(message: string, fields: readonly HelixField[]): { fields: Record<string, string>; other: string[] } {
  const known = new Set(fields.map((f) => f.name));
  const byField: Record<string, string> = {};
  const other: string[] = [];
  for (const part of message.split(/;\s*/).filter(Boolean)) {
    const match = /^input\.([A-Za-z_][\w]*)[^:]*:\s*(.*)$/.exec(part.trim());
    if (match && known.has(match[1]!) && !(match[1]! in byField)) byField[match[1]!] = match[2]!;
    else other.push(part.trim());
  }
  return { fields: byField, other };
}
