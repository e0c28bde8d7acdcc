import { describe, expect, it } from 'vitest';
import {
  buildTeslaAppInput,
  buildTokenInput,
  credentialTokenId,
  defaultRedirectUri,
  emptyTeslaApp,
  emptyTokenForm,
  groupSecret,
  normalizeCode,
  sortTokens,
  svgDataUrl,
  teslaConnected,
  teslaStatusTone,
  tokenState,
  validTotpCode,
} from './account';

const ALL = ['READ', 'COMMAND', 'ADMIN'] as const;

describe('the API token form', () => {
  it('builds the input: trimmed name, scopes in their order, days or never', () => {
    expect(buildTokenInput({ name: '  Home Assistant ', scopes: ['COMMAND', 'READ'], expiresInDays: '' }, [...ALL])).toEqual({
      input: { name: 'Home Assistant', scopes: ['READ', 'COMMAND'], expiresInDays: null },
      errors: {},
    });
    expect(buildTokenInput({ name: 'x', scopes: ['READ'], expiresInDays: ' 30 ' }, ['READ']).input?.expiresInDays).toBe(30);
  });

  it('names what is wrong by field', () => {
    const { input, errors } = buildTokenInput({ name: ' ', scopes: [], expiresInDays: '0' }, [...ALL]);
    expect(input).toBeNull();
    expect(errors.name?.key).toBe('validation.required');
    expect(errors.scopes?.key).toBe('account.tokens.scopeNeeded');
    expect(errors.expiresInDays).toEqual({ key: 'validation.range', params: { min: 1, max: 3650 } });
    expect(buildTokenInput({ ...emptyTokenForm, name: 'a', expiresInDays: '3651' }, [...ALL]).errors.expiresInDays?.key).toBe('validation.range');
    expect(buildTokenInput({ ...emptyTokenForm, name: 'a', expiresInDays: '1.5' }, [...ALL]).errors.expiresInDays?.key).toBe('validation.range');
    expect(buildTokenInput({ ...emptyTokenForm, name: 'a'.repeat(101) }, [...ALL]).errors.name?.key).toBe('account.tokens.nameTooLong');
  });

  it('refuses a scope the credential in use does not hold', () => {
    expect(buildTokenInput({ name: 'a', scopes: ['ADMIN'], expiresInDays: '' }, ['READ', 'COMMAND']).errors.scopes?.key).toBe('account.tokens.scopeNotHeld');
  });
});

describe('tokens', () => {
  const now = new Date('2026-11-28T10:00:00Z');

  it('tells active, expired and revoked apart', () => {
    expect(tokenState({ revoked: false, expiresAt: null }, now)).toBe('active');
    expect(tokenState({ revoked: false, expiresAt: '2026-12-01T00:00:00Z' }, now)).toBe('active');
    expect(tokenState({ revoked: false, expiresAt: '2026-11-28T09:59:59Z' }, now)).toBe('expired');
    expect(tokenState({ revoked: true, expiresAt: '2026-11-28T09:59:59Z' }, now)).toBe('revoked');
  });

  it('finds the token in use from me.credential', () => {
    expect(credentialTokenId('token:12')).toBe('12');
    expect(credentialTokenId('user')).toBeNull();
    expect(credentialTokenId('anonymous')).toBeNull();
    expect(credentialTokenId(undefined)).toBeNull();
  });

  it('lists usable tokens first, newest first', () => {
    const tokens = [
      { id: 'old', revoked: false, expiresAt: null, createdAt: '2026-01-01T00:00:00Z' },
      { id: 'revoked', revoked: true, expiresAt: null, createdAt: '2026-11-01T00:00:00Z' },
      { id: 'new', revoked: false, expiresAt: null, createdAt: '2026-10-01T00:00:00Z' },
      { id: 'expired', revoked: false, expiresAt: '2026-02-01T00:00:00Z', createdAt: '2026-01-15T00:00:00Z' },
    ];
    expect(sortTokens(tokens, now).map((t) => t.id)).toEqual(['new', 'old', 'revoked', 'expired']);
  });
});

describe('two-factor enrolment', () => {
  it('turns the QR code into a data: URL for an <img>, and refuses anything but an SVG', () => {
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><path d="M0 0h1"/></svg>';
    const url = svgDataUrl(svg);
    expect(url?.startsWith('data:image/svg+xml;charset=utf-8,%3Csvg')).toBe(true);
    expect(decodeURIComponent(url!.slice(url!.indexOf(',') + 1))).toBe(svg);
    expect(svgDataUrl(`<?xml version="1.0"?>\n${svg}`)).not.toBeNull();
    expect(svgDataUrl('<script>alert(1)</script>')).toBeNull();
    expect(svgDataUrl('<svgx>')).toBeNull();
    expect(svgDataUrl(null)).toBeNull();
  });

  it('groups the secret for typing and reads codes as typed', () => {
    expect(groupSecret('KMUA5HQPYZFK45OX')).toBe('KMUA 5HQP YZFK 45OX');
    expect(groupSecret('ABCDEF')).toBe('ABCD EF');
    expect(normalizeCode(' 123 456 ')).toBe('123456');
    expect(validTotpCode('123 456')).toBe(true);
    expect(validTotpCode('12345')).toBe(false);
    expect(validTotpCode('12345a')).toBe(false);
  });
});

describe('the Tesla developer app form', () => {
  it('defaults the redirect URI to this server’s callback', () => {
    expect(defaultRedirectUri('https://tesla.example.org/')).toBe('https://tesla.example.org/auth/tesla/callback');
    expect(emptyTeslaApp('https://a.example').redirectUri).toBe('https://a.example/auth/tesla/callback');
  });

  it('builds the input, the default scopes as null', () => {
    const values = { clientId: ' abc ', clientSecret: ' s3cret ', redirectUri: 'https://a.example/auth/tesla/callback', scopes: '', china: false };
    expect(buildTeslaAppInput(values)).toEqual({
      input: { clientId: 'abc', clientSecret: 's3cret', redirectUri: 'https://a.example/auth/tesla/callback', scopes: null, china: false },
      errors: {},
    });
    expect(buildTeslaAppInput({ ...values, scopes: 'openid, offline_access  vehicle_device_data offline_access', china: true }).input).toMatchObject({
      scopes: ['openid', 'offline_access', 'vehicle_device_data'],
      china: true,
    });
  });

  it('wants https (http only for this machine), an id without spaces, a secret and offline_access', () => {
    const base = { clientId: 'abc', clientSecret: 's', redirectUri: 'https://a.example/cb', scopes: '', china: false };
    expect(buildTeslaAppInput({ ...base, redirectUri: 'http://a.example/cb' }).errors.redirectUri?.key).toBe('account.tesla.httpsOnly');
    expect(buildTeslaAppInput({ ...base, redirectUri: 'http://localhost:8000/auth/tesla/callback' }).input).not.toBeNull();
    expect(buildTeslaAppInput({ ...base, redirectUri: 'not a url' }).errors.redirectUri?.key).toBe('account.tesla.badUrl');
    expect(buildTeslaAppInput({ ...base, redirectUri: 'https://a.example/cb#x' }).errors.redirectUri?.key).toBe('account.tesla.badUrl');
    expect(buildTeslaAppInput({ ...base, clientId: 'a b' }).errors.clientId?.key).toBe('account.tesla.noSpaces');
    expect(buildTeslaAppInput({ ...base, clientSecret: ' ' }).errors.clientSecret?.key).toBe('validation.required');
    expect(buildTeslaAppInput({ ...base, scopes: 'openid' }).errors.scopes?.key).toBe('account.tesla.offlineAccess');
  });

  it('shows each status in a tone, and which can be disconnected', () => {
    expect(teslaStatusTone('connected')).toBe('success');
    expect(teslaStatusTone('reauth_required')).toBe('warning');
    expect(teslaStatusTone('pending')).toBe('info');
    expect(teslaStatusTone('something new')).toBe('neutral');
    expect(teslaConnected('revoked')).toBe(false);
    expect(teslaConnected('pending')).toBe(true);
  });
});
