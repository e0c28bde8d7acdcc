import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { TotpCodeField, type TotpCodeFieldProps } from './TotpCodeField';

const noop = () => undefined;

/** The field as the browser gets it: its markup, and its input's attributes by name (in lower case, as HTML reads them). */
function render(props: Partial<TotpCodeFieldProps>) {
  const html = renderToStaticMarkup(createElement(TotpCodeField, { label: 'Code', error: null, value: '', onChange: noop, width: 'max-w-48', ...props }));
  const tag = /<input [^>]*>/.exec(html)?.[0] ?? '';
  const input = Object.fromEntries([...tag.matchAll(/([\w-]+)="([^"]*)"/g)].map((m) => [m[1]?.toLowerCase(), m[2]]));
  return { html, input };
}

describe('the TOTP code field', () => {
  it('asks for a code the browser may fill in, tied to its label', () => {
    const { html, input } = render({ value: '123 456' });
    expect(input).toMatchObject({ type: 'text', inputmode: 'numeric', autocomplete: 'one-time-code', value: '123 456', 'aria-required': 'true' });
    expect(input.class).toMatch(/ max-w-48 tracking-widest$/);
    expect(html).toContain(`<label for="${input.id}" class="block text-sm font-medium">Code</label>`);
    // a recovery code is longer than the app's: no limit unless one is given
    expect(input).not.toHaveProperty('maxlength');
    expect(input).not.toHaveProperty('aria-invalid');
    expect(input).not.toHaveProperty('aria-describedby');
  });

  it('limits the length when asked, and reads its error and hint with it', () => {
    const { html, input } = render({ hint: 'The 6 digits the app shows now.', error: 'That code is wrong.', maxLength: 9, width: 'max-w-40' });
    expect(input).toMatchObject({ maxlength: '9', 'aria-invalid': 'true', 'aria-describedby': `${input.id}-error ${input.id}-hint` });
    expect(input.class).toMatch(/ max-w-40 tracking-widest$/);
    expect(html).toContain(`id="${input.id}-error" class="text-sm font-medium text-red-700 dark:text-red-400">That code is wrong.</p>`);
    expect(html).toContain(`id="${input.id}-hint" class="text-xs text-slate-600 dark:text-slate-400">The 6 digits the app shows now.</p>`);
  });
});
