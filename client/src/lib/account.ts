// The account settings' logic, without React: the API token form, tokens' states, the TOTP enrolment's QR
// code and secret as shown, and the Tesla developer app form.

import type { TeslaAppInput, TokenScope } from '../gql/graphql';
import type { MessageKey } from '../i18n/en';
import type { Params } from '../i18n/translate';

export interface FormError {
  key: MessageKey;
  params?: Params;
}

// -- API tokens -----------------------------------------------------------------------------------------

/** Narrowest first; a broader scope includes the narrower ones. */
export const TOKEN_SCOPES: readonly TokenScope[] = ['READ', 'COMMAND', 'ADMIN'];
/** The API's limit for a token's lifetime. */
export const MAX_EXPIRY_DAYS = 3650;
export const MAX_TOKEN_NAME = 100;

export interface TokenFormValues {
  name: string;
  scopes: TokenScope[];
  /** Days as typed; empty: the token never expires. */
  expiresInDays: string;
}

export interface TokenInput {
  name: string;
  scopes: TokenScope[];
  expiresInDays: number | null;
}

export const emptyTokenForm: TokenFormValues = { name: '', scopes: ['READ'], expiresInDays: '' };

/**
 * The createApiToken arguments from the form, or what is wrong by field. `held` are the scopes of the
 * credential in use: a token cannot grant more.
 */
export function buildTokenInput(values: TokenFormValues, held: readonly TokenScope[]): { input: TokenInput | null; errors: Record<string, FormError> } {
  const errors: Record<string, FormError> = {};
  const name = values.name.trim();
  if (!name) errors.name = { key: 'validation.required' };
  else if (name.length > MAX_TOKEN_NAME) errors.name = { key: 'account.tokens.nameTooLong', params: { max: MAX_TOKEN_NAME } };
  const scopes = TOKEN_SCOPES.filter((scope) => values.scopes.includes(scope));
  if (scopes.length === 0) errors.scopes = { key: 'account.tokens.scopeNeeded' };
  else if (scopes.some((scope) => !held.includes(scope))) errors.scopes = { key: 'account.tokens.scopeNotHeld' };
  let expiresInDays: number | null = null;
  const days = values.expiresInDays.trim();
  if (days) {
    const number = Number(days);
    if (!/^\d+$/.test(days) || !Number.isSafeInteger(number) || number < 1 || number > MAX_EXPIRY_DAYS) {
      errors.expiresInDays = { key: 'validation.range', params: { min: 1, max: MAX_EXPIRY_DAYS } };
    } else {
      expiresInDays = number;
    }
  }
  if (Object.keys(errors).length > 0) return { input: null, errors };
  return { input: { name, scopes, expiresInDays }, errors };
}

export type TokenState = 'active' | 'expired' | 'revoked';

export function tokenState(token: { revoked: boolean; expiresAt?: string | null }, now: Date = new Date()): TokenState {
  if (token.revoked) return 'revoked';
  if (token.expiresAt && Date.parse(token.expiresAt) <= now.getTime()) return 'expired';
  return 'active';
}

/** The token id of `me.credential` ("token:12" → "12"), null for a session or the anonymous caller. */
export function credentialTokenId(credential: string | null | undefined): string | null {
  const match = /^token:(\S+)$/.exec(credential ?? '');
  return match?.[1] ?? null;
}

/** Usable tokens first, then the newest first. */
export function sortTokens<T extends { revoked: boolean; expiresAt?: string | null; createdAt: string }>(tokens: readonly T[], now: Date = new Date()): T[] {
  const rank = (token: T) => (tokenState(token, now) === 'active' ? 0 : 1);
  return [...tokens].sort((a, b) => rank(a) - rank(b) || Date.parse(b.createdAt) - Date.parse(a.createdAt));
}

// -- two-factor (TOTP) ----------------------------------------------------------------------------------

/**
 * The API's QR code (an SVG document) as a data: URL for an <img>: shown as a picture, never put into the
 * page's markup, so nothing in it can run. Null when it is not an SVG document.
 */
export function svgDataUrl(svg: string | null | undefined): string | null {
  const text = (svg ?? '').trim();
  if (!/^(<\?xml[^>]*>\s*)?<svg[\s>]/i.test(text)) return null;
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(text)}`;
}

/** A base32 secret in groups of four, easier to type: "KMUA5HQP…" → "KMUA 5HQP …". */
export function groupSecret(secret: string): string {
  return secret.replace(/\s+/g, '').replace(/(.{4})(?=.)/g, '$1 ');
}

/** A code as typed, spaces and dashes dropped ("123 456" → "123456"). */
export function normalizeCode(code: string): string {
  return code.replace(/[\s-]+/g, '');
}

/** A code from the app: six digits. */
export function validTotpCode(code: string): boolean {
  return /^\d{6}$/.test(normalizeCode(code));
}

// -- Tesla accounts ---------------------------------------------------------------------------------------

export interface TeslaAppValues {
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  /** OAuth scopes, separated by spaces or commas; empty: the API's defaults. */
  scopes: string;
  china: boolean;
}

/** Where Tesla sends the owner back: this server's callback. */
export function defaultRedirectUri(origin: string): string {
  return `${origin.replace(/\/+$/, '')}/auth/tesla/callback`;
}

export function emptyTeslaApp(origin: string): TeslaAppValues {
  return { clientId: '', clientSecret: '', redirectUri: defaultRedirectUri(origin), scopes: '', china: false };
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** The connectTeslaAccount input, or what is wrong by field (the API checks the same, and more). */
export function buildTeslaAppInput(values: TeslaAppValues): { input: TeslaAppInput | null; errors: Record<string, FormError> } {
  const errors: Record<string, FormError> = {};
  const clientId = values.clientId.trim();
  const clientSecret = values.clientSecret.trim();
  const redirectUri = values.redirectUri.trim();
  if (!clientId) errors.clientId = { key: 'validation.required' };
  else if (/\s/.test(clientId)) errors.clientId = { key: 'account.tesla.noSpaces' };
  if (!clientSecret) errors.clientSecret = { key: 'validation.required' };
  if (!redirectUri) errors.redirectUri = { key: 'validation.required' };
  else {
    let url: URL | null = null;
    try {
      url = new URL(redirectUri);
    } catch {
      url = null;
    }
    if (!url || !url.hostname) errors.redirectUri = { key: 'account.tesla.badUrl' };
    else if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.has(url.hostname))) errors.redirectUri = { key: 'account.tesla.httpsOnly' };
    else if (url.hash) errors.redirectUri = { key: 'account.tesla.badUrl' };
  }
  const scopes = [...new Set(values.scopes.split(/[\s,]+/).filter(Boolean))];
  if (scopes.length > 0 && !scopes.includes('offline_access')) errors.scopes = { key: 'account.tesla.offlineAccess' };
  if (Object.keys(errors).length > 0) return { input: null, errors };
  return { input: { clientId, clientSecret, redirectUri, scopes: scopes.length > 0 ? scopes : null, china: values.china }, errors };
}

export type TeslaStatus = 'pending' | 'connected' | 'reauth_required' | 'revoked';

const TESLA_TONES: Record<TeslaStatus, 'info' | 'success' | 'warning' | 'neutral'> = {
  pending: 'info',
  connected: 'success',
  reauth_required: 'warning',
  revoked: 'neutral',
};

export function teslaStatusTone(status: string): 'info' | 'success' | 'warning' | 'neutral' {
  return TESLA_TONES[status as TeslaStatus] ?? 'neutral';
}

/** Whether an account still holds tokens (and so can be disconnected). */
export function teslaConnected(status: string): boolean {
  return status !== 'revoked';
}
