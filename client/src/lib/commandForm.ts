// Catalogue-driven command forms: what the inputs hold, checked against each parameter's kind, range,
// choices and length before anything is sent, and turned into the `params` JSON sendCommand takes.

import type { MessageKey } from '../i18n/en';
import type { Params } from '../i18n/translate';

/** One parameter as commandCatalogue describes it. */
export interface ParamSpec {
  name: string;
  kind: string;
  description: string;
  required: boolean;
  minimum?: number | null | undefined;
  maximum?: number | null | undefined;
  choices: readonly string[];
  /** The same choices typed as `params` must give them (a number stays a number). */
  choiceValues: readonly unknown[];
  unit?: string | null | undefined;
  maxLength?: number | null | undefined;
  secret: boolean;
}

/** What the inputs hold: text for every input, a boolean for a checkbox. */
export type RawValues = Record<string, string | boolean>;

export interface FieldError {
  key: MessageKey;
  params?: Params;
}

export interface Validation {
  /** The params to send (only meaningful when `errors` is empty). */
  params: Record<string, unknown>;
  /** Per parameter name. */
  errors: Record<string, FieldError>;
}

/** How an input shows a parameter. */
export type Control = 'checkbox' | 'tristate' | 'number' | 'select' | 'text' | 'password' | 'json';

export function controlFor(spec: ParamSpec): Control {
  switch (spec.kind) {
    case 'bool':
      // a required flag is on or off; an optional one may also be left out
      return spec.required ? 'checkbox' : 'tristate';
    case 'int':
    case 'float':
      return 'number';
    case 'enum':
      return 'select';
    case 'object':
    case 'list':
      return 'json';
    default:
      return spec.secret ? 'password' : 'text';
  }
}

export function initialValues(specs: readonly ParamSpec[]): RawValues {
  const values: RawValues = {};
  for (const spec of specs) values[spec.name] = controlFor(spec) === 'checkbox' ? false : '';
  return values;
}

/** A choice as `params` must give it: its typed value from `choiceValues` (the text when there is none). */
export function choiceValue(spec: Pick<ParamSpec, 'choices' | 'choiceValues'>, choice: string): unknown {
  const index = spec.choices.indexOf(choice);
  return index >= 0 && index < spec.choiceValues.length ? spec.choiceValues[index] : choice;
}

/** "2,5" is 2.5 where a comma is the decimal mark; "1,000" stays invalid rather than guessed. */
export function parseNumber(text: string): number | null {
  let s = text.trim().replace(/\u2212/g, '-');
  if (/^-?\d+,\d+$/.test(s) && !/^-?\d{1,3},\d{3}$/.test(s)) s = s.replace(',', '.');
  if (!/^-?(\d+\.?\d*|\.\d+)(e-?\d+)?$/i.test(s)) return null;
  const value = Number(s);
  return Number.isFinite(value) ? value : null;
}

// the catalogue marks "no upper bound" with the largest safe integer
const UNBOUNDED = Number.MAX_SAFE_INTEGER;

function checkRange(value: number, spec: ParamSpec): FieldError | null {
  const min = spec.minimum ?? null;
  const max = spec.maximum !== null && spec.maximum !== undefined && spec.maximum < UNBOUNDED ? spec.maximum : null;
  const below = min !== null && value < min;
  const above = max !== null && value > max;
  if (!below && !above) return null;
  if (min !== null && max !== null) return { key: 'validation.range', params: { min, max } };
  if (min !== null) return { key: 'validation.min', params: { min } };
  return { key: 'validation.max', params: { max: max as number } };
}

function validateOne(spec: ParamSpec, raw: string | boolean | undefined): { value?: unknown; error?: FieldError } {
  const control = controlFor(spec);
  if (control === 'checkbox') return { value: raw === true };
  const text = typeof raw === 'string' ? raw : '';
  if (text.trim() === '') return spec.required ? { error: { key: 'validation.required' } } : {};
  switch (control) {
    case 'tristate':
      return text === 'true' ? { value: true } : text === 'false' ? { value: false } : { error: { key: 'validation.required' } };
    case 'number': {
      const value = parseNumber(text);
      if (value === null) return { error: { key: 'validation.number' } };
      if (spec.kind === 'int' && !Number.isInteger(value)) return { error: { key: 'validation.integer' } };
      const range = checkRange(value, spec);
      return range ? { error: range } : { value };
    }
    case 'select':
      if (!spec.choices.includes(text)) return { error: { key: 'validation.choice', params: { choices: spec.choices.join(', ') } } };
      return { value: choiceValue(spec, text) };
    case 'json': {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        return { error: { key: 'validation.json' } };
      }
      const ok = spec.kind === 'list' ? Array.isArray(value) : typeof value === 'object' && value !== null && !Array.isArray(value);
      return ok ? { value } : { error: { key: 'validation.json' } };
    }
    default: {
      const value = spec.secret ? text : text.trim();
      if (spec.maxLength !== null && spec.maxLength !== undefined && value.length > spec.maxLength) {
        return { error: { key: 'validation.maxLength', params: { max: spec.maxLength } } };
      }
      return { value };
    }
  }
}

/** Every parameter checked; `params` holds the values to send, leaving out optional ones left empty. */
export function validateParams(specs: readonly ParamSpec[], raw: RawValues): Validation {
  const params: Record<string, unknown> = {};
  const errors: Record<string, FieldError> = {};
  for (const spec of specs) {
    const { value, error } = validateOne(spec, raw[spec.name]);
    if (error) errors[spec.name] = error;
    else if (value !== undefined) params[spec.name] = value;
  }
  return { params, errors };
}

/** The parameter an API problem names: "params.percent" → "percent"; null when it names none. */
export function paramOfField(field: string | null | undefined): string | null {
  if (!field) return null;
  const match = /^params\.([^.[\]]+)/.exec(field);
  return match ? (match[1] ?? null) : null;
}

/** A fresh idempotency key for one attempt at sending (reused when the same attempt is retried). */
export function newIdempotencyKey(): string {
  const c = globalThis.crypto;
  if (c && typeof c.randomUUID === 'function') return c.randomUUID();
  // randomUUID needs a secure context; getRandomValues does not
  const bytes = new Uint8Array(16);
  c.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
