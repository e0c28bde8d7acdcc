import { describe, expect, it } from 'vitest';
import {
  buildChannelSettings,
  CHANNEL_FIELDS,
  channelFormKeys,
  channelValuesFromSettings,
  editableKind,
  emptyChannelValues,
  settingsEntries,
  splitList,
} from './notificationForm';
import { splitProblems } from './problems';

describe('channel fields', () => {
  it('has the documented fields of each kind', () => {
    expect(CHANNEL_FIELDS.WEBHOOK.map((f) => f.name)).toEqual(['url', 'secret', 'allow_insecure']);
    expect(CHANNEL_FIELDS.SLACK.map((f) => f.name)).toEqual(['webhook_url']);
    expect(CHANNEL_FIELDS.TELEGRAM.filter((f) => f.required).map((f) => f.name)).toEqual(['bot_token', 'chat_id']);
    expect(CHANNEL_FIELDS.EMAIL.map((f) => f.name)).toEqual(['host', 'port', 'username', 'password', 'from_address', 'to_addresses']);
  });

  it('names form keys as the API names fields', () => {
    expect(channelFormKeys('SLACK')).toEqual(['name', 'settings.webhook_url']);
    expect(emptyChannelValues('WEBHOOK')).toEqual({ url: '', secret: '', allow_insecure: false });
  });
});

describe('buildChannelSettings', () => {
  it('builds webhook settings, leaving a false checkbox out', () => {
    const r = buildChannelSettings('WEBHOOK', 'hook', { url: ' https://example.org/hook ', secret: 'x'.repeat(16), allow_insecure: false });
    expect(r.errors).toEqual({});
    expect(r.settings).toEqual({ url: 'https://example.org/hook', secret: 'x'.repeat(16) });
  });

  it('leaves the https rule to the API but refuses what is no URL', () => {
    expect(buildChannelSettings('WEBHOOK', 'h', { url: 'http://example.org/hook', secret: 'y'.repeat(20) }).settings).not.toBeNull();
    const r = buildChannelSettings('WEBHOOK', 'h', { url: 'example.org', secret: 'short' });
    expect(r.settings).toBeNull();
    expect(r.errors).toEqual({ 'settings.url': 'notifications.errorUrl', 'settings.secret': 'notifications.errorSecret' });
  });

  it('requires the name and the required fields', () => {
    const r = buildChannelSettings('TELEGRAM', ' ', emptyChannelValues('TELEGRAM'));
    expect(r.errors).toEqual({ name: 'validation.required', 'settings.bot_token': 'validation.required', 'settings.chat_id': 'validation.required' });
  });

  it('turns email fields into a number and a list', () => {
    const r = buildChannelSettings('EMAIL', 'mail', {
      host: 'smtp.gmail.com',
      port: '587',
      username: 'me@gmail.com',
      password: 'app pass',
      from_address: 'me@gmail.com',
      to_addresses: 'me@gmail.com, partner@example.org\nthird@example.org',
    });
    expect(r.errors).toEqual({});
    expect(r.settings).toEqual({
      host: 'smtp.gmail.com',
      port: 587,
      username: 'me@gmail.com',
      password: 'app pass',
      from_address: 'me@gmail.com',
      to_addresses: ['me@gmail.com', 'partner@example.org', 'third@example.org'],
    });
  });

  it('checks the port, the addresses and the login pair', () => {
    const r = buildChannelSettings('EMAIL', 'mail', { host: 'h', port: '70000', username: 'me', password: '', from_address: 'nobody', to_addresses: 'a@b, c' });
    expect(r.errors).toEqual({
      'settings.port': 'notifications.errorPort',
      'settings.to_addresses': 'notifications.errorEmail',
      'settings.from_address': 'notifications.errorEmail',
      'settings.password': 'notifications.errorLogin',
    });
    expect(buildChannelSettings('EMAIL', 'm', { host: 'h', from_address: 'a@b', to_addresses: 'a@b' }).settings).toEqual({ host: 'h', from_address: 'a@b', to_addresses: ['a@b'] });
  });

  it('splits lists', () => {
    expect(splitList(' a@b ;c@d,,\n')).toEqual(['a@b', 'c@d']);
  });
});

describe('editing a channel', () => {
  const edit = { storedSecrets: ['secret'] };

  it('fills the form from stored settings, secrets left empty', () => {
    expect(channelValuesFromSettings('WEBHOOK', { url: 'https://example.org/h', allow_insecure: true })).toEqual({
      url: 'https://example.org/h',
      secret: '',
      allow_insecure: true,
    });
    expect(channelValuesFromSettings('EMAIL', { host: 'smtp', port: 25, username: null, to_addresses: ['a@b', 'c@d'], starttls: true })).toEqual({
      host: 'smtp',
      port: '25',
      username: '',
      password: '',
      from_address: '',
      to_addresses: 'a@b, c@d',
    });
    expect(channelValuesFromSettings('SLACK', null)).toEqual({ webhook_url: '' });
  });

  it('keeps a stored secret left empty, and sends a false checkbox', () => {
    const r = buildChannelSettings('WEBHOOK', 'renamed', { url: 'https://example.org/h2', secret: '', allow_insecure: false }, edit);
    expect(r.errors).toEqual({});
    expect(r.settings).toEqual({ url: 'https://example.org/h2', allow_insecure: false });
  });

  it('checks a secret that is typed, and asks for one that was never stored', () => {
    expect(buildChannelSettings('WEBHOOK', 'h', { url: 'https://e.org/h', secret: 'short' }, edit).errors).toEqual({ 'settings.secret': 'notifications.errorSecret' });
    expect(buildChannelSettings('WEBHOOK', 'h', { url: 'https://e.org/h', secret: '' }, { storedSecrets: [] }).errors).toEqual({
      'settings.secret': 'validation.required',
    });
  });

  it('sends an emptied optional field as its default or null', () => {
    const telegram = buildChannelSettings('TELEGRAM', 't', { bot_token: '', chat_id: '42', base_url: '', allow_insecure: false }, { storedSecrets: ['bot_token'] });
    expect(telegram.settings).toEqual({ chat_id: '42', base_url: 'https://api.telegram.org', allow_insecure: false });
    const email = buildChannelSettings(
      'EMAIL',
      'm',
      { host: 'h', port: '', username: '', password: '', from_address: 'a@b', to_addresses: 'a@b' },
      { storedSecrets: ['password'] },
    );
    expect(email.errors).toEqual({});
    // no username any more: the stored password goes too (both or neither)
    expect(email.settings).toEqual({ host: 'h', port: 587, username: null, password: null, from_address: 'a@b', to_addresses: ['a@b'] });
  });

  it('lets a stored password stand for a kept login', () => {
    const r = buildChannelSettings('EMAIL', 'm', { host: 'h', port: '25', username: 'me', password: '', from_address: 'a@b', to_addresses: 'a@b' }, { storedSecrets: ['password'] });
    expect(r.errors).toEqual({});
    expect(r.settings).toEqual({ host: 'h', port: 25, username: 'me', from_address: 'a@b', to_addresses: ['a@b'] });
  });

  it('offers editing only for kinds the form knows', () => {
    expect(editableKind('WEBHOOK')).toBe('WEBHOOK');
    expect(editableKind('WEBPUSH')).toBeNull();
  });
});

describe('API problems', () => {
  it('puts named field errors beside their fields and the rest in a list', () => {
    const known = channelFormKeys('WEBHOOK');
    const r = splitProblems(
      [
        { __typename: 'InvalidInput', field: 'settings.url', message: 'must use https' },
        { __typename: 'InvalidInput', field: 'settings.url', message: 'second' },
        { __typename: 'InvalidInput', field: 'settings.colour', message: 'unknown field' },
        { __typename: 'InvalidInput', field: null, message: 'whole' },
      ],
      known,
    );
    expect(r.fields).toEqual({ 'settings.url': 'must use https' });
    expect(r.other).toEqual(['settings.colour: unknown field', 'whole']);
  });

  it('shows stored settings as text', () => {
    expect(settingsEntries({ url: 'https://x/********', to_addresses: ['a', 'b'], port: 587, allow_insecure: false })).toEqual([
      ['url', 'https://x/********'],
      ['to_addresses', 'a, b'],
      ['port', '587'],
      ['allow_insecure', 'false'],
    ]);
    expect(settingsEntries(null)).toEqual([]);
    expect(settingsEntries({ url: 'https://example.org/hook' }, ['secret'])).toEqual([
      ['url', 'https://example.org/hook'],
      ['secret', '********'],
    ]);
  });
});
