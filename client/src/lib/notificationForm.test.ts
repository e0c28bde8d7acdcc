import { describe, expect, it } from 'vitest';
import { buildChannelSettings, CHANNEL_FIELDS, channelFormKeys, emptyChannelValues, settingsEntries, splitList } from './notificationForm';
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
