import { createElement, type ReactElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { StaticRouter } from 'react-router';
import { CombinedError } from 'urql';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { SettingsProvider } from '../lib/context';
import { UserDataError } from './UserDataError';

// no DOM here: rendered to HTML in English (Node has no navigator to take the language from)
beforeAll(() => vi.stubGlobal('navigator', { language: 'en' }));
afterAll(() => vi.unstubAllGlobals());
const html = (element: ReactElement) => renderToStaticMarkup(createElement(SettingsProvider, null, createElement(StaticRouter, { location: '/' }, element)));

const withCode = (code: string) => new CombinedError({ graphQLErrors: [{ message: 'refused', extensions: { code } }] });
const NEEDS_USER = 'Notifications and automations belong to a user: enter an API token under Settings';

describe('UserDataError', () => {
  it('shows nothing without an error', () => {
    expect(html(createElement(UserDataError, { error: undefined, retry: () => {} }))).toBe('');
  });

  it('shows the error with its retry and, for FORBIDDEN, a link to the settings below it', () => {
    const out = html(createElement(UserDataError, { error: withCode('FORBIDDEN'), retry: () => {} }));
    expect(out).toContain('Your access does not allow this.');
    expect(out).toContain('Try again</button>');
    expect(out).toMatch(new RegExp(`<div class="mt-2"><div role="status"[^>]*><div><a class="underline" href="/settings"[^>]*>${NEEDS_USER}`));
    expect(out.indexOf('Your access does not allow this.')).toBeLessThan(out.indexOf(NEEDS_USER));
  });

  it('says nothing of users for any other error', () => {
    const out = html(createElement(UserDataError, { error: new CombinedError({ networkError: new Error('down') }), retry: () => {} }));
    expect(out).toContain('The TeslaSync API cannot be reached.');
    expect(out).not.toContain(NEEDS_USER);
    expect(out).not.toContain('/settings');
  });
});
