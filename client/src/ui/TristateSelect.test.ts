import { createElement, type ChangeEvent, type ReactElement, type SelectHTMLAttributes } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { SettingsProvider } from '../lib/context';
import { inputClass } from './Field';
import { TristateSelect } from './TristateSelect';

// no DOM here: rendered to HTML in English (Node has no navigator to take the language from)
beforeAll(() => vi.stubGlobal('navigator', { language: 'en' }));
afterAll(() => vi.unstubAllGlobals());
const html = (element: ReactElement) => renderToStaticMarkup(createElement(SettingsProvider, null, element));

describe('TristateSelect', () => {
  it('offers not set, yes and no, the current one selected, with the field’s ids', () => {
    const out = html(createElement(TristateSelect, { id: 'f1', 'aria-invalid': true, value: 'false', onChange: () => {} }));
    expect(out).toBe(
      `<select id="f1" aria-invalid="true" class="${inputClass}">` +
        '<option value="">Not set</option><option value="true">Yes</option><option value="false" selected="">No</option></select>',
    );
  });

  it('passes the chosen option’s value on as it is', () => {
    const chosen: string[] = [];
    const rendered: { select?: ReactElement<SelectHTMLAttributes<HTMLSelectElement>> } = {};
    // the element it renders, to call its onChange as a change of the <select> would
    const Probe = () => {
      rendered.select = TristateSelect({ id: 'f2', value: '', onChange: (value) => chosen.push(value) }) as ReactElement<SelectHTMLAttributes<HTMLSelectElement>>;
      return null;
    };
    html(createElement(Probe));
    for (const value of ['true', '']) rendered.select?.props.onChange?.({ target: { value } } as ChangeEvent<HTMLSelectElement>);
    expect(chosen).toEqual(['true', '']);
  });
});
