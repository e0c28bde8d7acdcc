// The "add a channel" form: each kind's fields (docs/notifications.md), checked, and turned into the
// `settings` JSON createNotificationChannel takes. Field errors are keyed `settings.<name>` like the API's.

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

export function buildChannelSettings(
  kind: ChannelKind,
  name: string,
  values: ChannelValues,
): { settings: Record<string, unknown> | null; errors: Record<string, MessageKey> } {
  const errors: Record<string, MessageKey> = {};
  const settings: Record<string, unknown> = {};
  if (!name.trim()) errors.name = 'validation.required';
  for (const field of CHANNEL_FIELDS[kind]) {
    const key = `settings.${field.name}`;
    const raw = values[field.name];
    if (field.type === 'checkbox') {
      if (raw === true) settings[field.name] = true; // false is the default: left out
      continue;
    }
    const text = typeof raw === 'string' ? raw.trim() : '';
    if (!text) {
      if (field.required) errors[key] = 'validation.required';
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
    // the login: both or neither
    if (settings.username !== undefined && settings.password === undefined) errors['settings.password'] = 'notifications.errorLogin';
    if (settings.password !== undefined && settings.username === undefined) errors['settings.username'] = 'notifications.errorLogin';
  }
  return { settings: Object.keys(errors).length ? null : settings, errors };
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
