// The translation layer: a catalogue per language, English as the baseline every lookup falls back to.

import { de } from './de';
import { en, type BaseKey, type Catalogue, type MessageKey } from './en';

export type Params = Record<string, string | number>;

const catalogues: Record<string, Catalogue> = { en, de };

/** Languages the interface offers, by BCP 47 tag, with their own names. */
export const LANGUAGES: { tag: string; name: string }[] = [
  { tag: 'en', name: 'English' },
  { tag: 'de', name: 'Deutsch' },
];

/** The catalogues to look in, most specific first: "de-AT" → de-AT, de, en. */
export function fallbackChain(locale: string): string[] {
  const chain: string[] = [];
  const parts = locale.split(/[-_]/);
  for (let i = parts.length; i > 0; i--) {
    const tag = parts.slice(0, i).join('-');
    if (catalogues[tag] && !chain.includes(tag)) chain.push(tag);
    const lower = tag.toLowerCase();
    if (catalogues[lower] && !chain.includes(lower)) chain.push(lower);
  }
  if (!chain.includes('en')) chain.push('en');
  return chain;
}

function pluralCategory(locale: string, count: number): Intl.LDMLPluralRule {
  try {
    return new Intl.PluralRules(locale).select(count);
  } catch {
    return new Intl.PluralRules('en').select(count);
  }
}

function lookup(chain: string[], key: string): string | undefined {
  for (const tag of chain) {
    const text = catalogues[tag]?.[key as BaseKey];
    if (text !== undefined) return text;
  }
  return undefined;
}

function interpolate(text: string, locale: string, params: Params | undefined): string {
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const value = params[name];
    if (value === undefined) return whole;
    return typeof value === 'number' ? new Intl.NumberFormat(locale).format(value) : value;
  });
}

/**
 * The text for `key` in `locale`, English when the locale's catalogue lacks it, the key itself when no
 * catalogue has it (a missing text shows, it does not break the page).
 */
export function translate(locale: string, key: MessageKey, params?: Params): string {
  const chain = fallbackChain(locale);
  let text: string | undefined;
  const count = params?.count;
  if (typeof count === 'number') {
    // the category of the language the text comes from: look up each language's own form
    for (const tag of chain) {
      const category = pluralCategory(tag, count);
      text = catalogues[tag]?.[`${key}.${category}` as BaseKey] ?? catalogues[tag]?.[`${key}.other` as BaseKey];
      if (text !== undefined) break;
    }
  }
  text ??= lookup(chain, key);
  return interpolate(text ?? key, locale, params);
}

/** Like translate, for keys built at run time (enum values, signal names): null when no catalogue has it. */
export function translateOptional(locale: string, key: string, params?: Params): string | null {
  const text = lookup(fallbackChain(locale), key);
  return text === undefined ? null : interpolate(text, locale, params);
}
