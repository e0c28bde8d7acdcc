// The "add a channel" and "edit a channel" forms: each kind's fields (docs/notifications.md), checked, and
// turned into the `settings` JSON createNotificationChannel and updateNotificationChannel take. Field errors
// are keyed `settings.<name>` like the API's.

import type { MessageKey } from '../i18n/en';

export type ChannelKind = 'WEBHOOK' | 'SLACK' | 'DISCORD' | 'TELEGRAM' | 'MATRIX' | 'EMAIL' | 'SMS';

export type FieldType = 'text' | 'url' | 'secret' | 'number' | 'list' | 'checkbox';

export interface ChannelField {
  name: string;
  type: FieldType;
  required: boolean;
  /** A number field's default, shown as its placeholder. */
  placeholder?: string;
}

const f = (name: string, type: FieldType, required = true, placeholder?: string): ChannelField => ({ name, type, required, placeholder });

/** The fields the form offers per kind (Web Push needs a browser subscription and is not offered). */
export const CHANNEL_FIELDS: Record<ChannelKind, readonly ChannelField[]> = {
  WEBHOOK: [f('url', 'url', true, 'https://example.org/hook'), f('secret', 'secret'), f('allow_insecure', 'checkbox', false)],
  SLACK: [f('webhook_url', 'secret')],
  DISCORD: [f('webhook_url', 'secret')],
  TELEGRAM: [f('bot_token', 'secret'), f('chat_id', 'text'), f('base_url', 'url', false, 'https://api.telegram.org'), f('allow_insecure', 'checkbox', false)],
  MATRIX: [f('homeserver_url', 'url', true, 'https://matrix.example.org'), f('access_token', 'secret'), f('room_id', 'text'), f('allow_insecure', 'checkbox', false)],
  EMAIL: [
    f('host', 'text', true, 'smtp.example.org'),
    f('port', 'number', false, '587'),
    f('username', 'text', false),
    f('password', 'secret', false),
    f('from_address', 'text'),
    f('to_addresses', 'list'),
  ],
  SMS: [f('account_sid', 'text'), f('auth_token', 'secret'), f('from_number', 'text', true, '+15017122661'), f('to_number', 'text', true, '+4915123456789')],
};

export const CHANNEL_KINDS = Object.keys(CHANNEL_FIELDS) as ChannelKind[];

export type ChannelValues = Record<string, string | boolean>;

export function emptyChannelValues(kind: ChannelKind): ChannelValues {
  return Object.fromEntries(CHANNEL_FIELDS[kind].map((field) => [field.name, field.type === 'checkbox' ? false : '']));
}

/** Form keys: `name` and `settings.<field>`, as the API names them. */
export function channelFormKeys(kind: ChannelKind): string[] {
  return ['name', ...CHANNEL_FIELDS[kind].map((field) => `settings.${field.name}`)];
}

/** A list field's entries: split at commas, semicolons and line breaks. */
export function splitList(text: string): string[] {
  return text
    .split(/[,;\n]/)
    .map((s) => s.trim())
    .filter(Boolean);
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.hostname !== '';
  } catch {
    return false;
  }
}

const EMAIL = /^[^\s@]+@[^\s@]+$/;

/** Editing a stored channel: its secrets that are set (`secretFields`), kept when left empty. */
export interface ChannelEdit {
  storedSecrets: readonly string[];
}

/**
 * The `settings` to send, or the errors. Creating (no `edit`): what is filled in, a false checkbox and
 * empty optional fields left out. Editing: every shown field is sent (a checkbox as true or false, an
 * emptied optional field as its default, or null), and a secret only when typed: left empty, the stored
 * one is kept (the API keeps secrets an update leaves out).
 */
export function buildChannelSettings(
  kind: ChannelKind,
  name: string,
  values: ChannelValues,
  edit?: ChannelEdit,
): { settings: Record<string, unknown> | null; errors: Record<string, MessageKey> } {
  const errors: Record<string, MessageKey> = {};
  const settings: Record<string, unknown> = {};
  const kept = (field: string) => edit !== undefined && edit.storedSecrets.includes(field);
  if (!name.trim()) errors.name = 'validation.required';
  for (const field of CHANNEL_FIELDS[kind]) {
    const key = `settings.${field.name}`;
    const raw = values[field.name];
    if (field.type === 'checkbox') {
      if (raw === true) settings[field.name] = true;
      else if (edit) settings[field.name] = false; // false is the default: left out when creating
      continue;
    }
    const text = typeof raw === 'string' ? raw.trim() : '';
    if (!text) {
      if (field.type === 'secret' && kept(field.name)) continue; // unchanged
      if (field.required) errors[key] = 'validation.required';
      else if (edit && field.type !== 'secret') settings[field.name] = emptiedValue(field);
      continue;
    }
    switch (field.type) {
      case 'url':
        if (!isHttpUrl(text)) errors[key] = 'notifications.errorUrl';
        else settings[field.name] = text;
        break;
      case 'number': {
        const n = Number(text);
        if (!Number.isInteger(n) || n < 1 || n > 65535) errors[key] = 'notifications.errorPort';
        else settings[field.name] = n;
        break;
      }
      case 'list': {
        const items = splitList(text);
        if (items.length === 0) errors[key] = 'validation.required';
        else if (items.length > 50) errors[key] = 'notifications.errorTooMany';
        else if (!items.every((s) => EMAIL.test(s))) errors[key] = 'notifications.errorEmail';
        else settings[field.name] = items;
        break;
      }
      default:
        settings[field.name] = text;
    }
  }
  if (kind === 'WEBHOOK' && typeof settings.secret === 'string' && settings.secret.length < 16) errors['settings.secret'] = 'notifications.errorSecret';
  if (kind === 'SLACK' || kind === 'DISCORD') {
    if (typeof settings.webhook_url === 'string' && !isHttpUrl(settings.webhook_url)) errors['settings.webhook_url'] = 'notifications.errorUrl';
  }
  if (kind === 'EMAIL') {
    if (typeof settings.from_address === 'string' && !EMAIL.test(settings.from_address)) errors['settings.from_address'] = 'notifications.errorEmail';
    // the login: both or neither (a stored password counts unless the username is emptied: then both go)
    const hasUser = typeof settings.username === 'string';
    const hasPassword = typeof settings.password === 'string' || (hasUser && kept('password'));
    if (hasUser && !hasPassword) errors['settings.password'] = 'notifications.errorLogin';
    if (typeof settings.password === 'string' && !hasUser) errors['settings.username'] = 'notifications.errorLogin';
    if (edit && !hasUser && kept('password') && settings.password === undefined) settings.password = null;
  }
  return { settings: Object.keys(errors).length ? null : settings, errors };
}

/** What an optional field emptied in an edit is sent as: its default (the placeholder), else null. */
function emptiedValue(field: ChannelField): unknown {
  if (field.placeholder === undefined) return null;
  return field.type === 'number' ? Number(field.placeholder) : field.placeholder;
}

/** A stored channel's settings as the edit form's values: secrets empty (kept unless typed). */
export function channelValuesFromSettings(kind: ChannelKind, settings: unknown): ChannelValues {
  const stored = settings && typeof settings === 'object' && !Array.isArray(settings) ? (settings as Record<string, unknown>) : {};
  const values = emptyChannelValues(kind);
  for (const field of CHANNEL_FIELDS[kind]) {
    const value = stored[field.name];
    if (field.type === 'secret' || value === undefined || value === null) continue;
    if (field.type === 'checkbox') values[field.name] = value === true;
    else if (Array.isArray(value)) values[field.name] = value.map(String).join(', ');
    else values[field.name] = typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
  return values;
}

/** A channel's kind as the form knows it; null for one it does not offer (Web Push). */
export function editableKind(kind: string): ChannelKind | null {
  return (CHANNEL_KINDS as readonly string[]).includes(kind) ? (kind as ChannelKind) : null;
}

/** A stored channel's settings as label/value pairs for display (secrets come back masked by the API). */
export function settingsEntries(settings: unknown, secretFields: readonly string[] = []): [string, string][] {
  const shown = settings && typeof settings === 'object' && !Array.isArray(settings) ? (settings as Record<string, unknown>) : {};
  const entries: [string, string][] = Object.entries(shown).map(([k, v]) => [
    k,
    Array.isArray(v) ? v.join(', ') : v !== null && typeof v === 'object' ? JSON.stringify(v) : String(v),
  ]);
  // secrets the API left out entirely: shown as set, never their value
  for (const name of secretFields) if (!(name in shown)) entries.push([name, '********']);
  return entries;
}
