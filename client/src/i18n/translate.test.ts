import { describe, expect, it } from 'vitest';
import { en } from './en';
import { de } from './de';
import { fallbackChain, translate, translateOptional } from './translate';

describe('fallbackChain', () => {
  it('goes from the most specific catalogue to English', () => {
    expect(fallbackChain('de-AT')).toEqual(['de', 'en']);
    expect(fallbackChain('de')).toEqual(['de', 'en']);
    expect(fallbackChain('en-GB')).toEqual(['en']);
    expect(fallbackChain('fr-FR')).toEqual(['en']);
    expect(fallbackChain('DE_de')).toEqual(['de', 'en']);
  });
});

describe('translate', () => {
  it('uses the locale catalogue, then English', () => {
    expect(translate('de-DE', 'nav.fleet')).toBe('Flotte');
    expect(translate('de-DE', 'nav.live')).toBe('Live');
    expect(translate('de-DE', 'car.section.tyres')).toBe('Tyre pressures'); // not in German yet
    expect(translate('fr', 'nav.fleet')).toBe('Fleet');
  });

  it('fills parameters and formats numbers for the locale', () => {
    expect(translate('en', 'validation.range', { min: 50, max: 100 })).toBe('Must be between 50 and 100.');
    expect(translate('de', 'validation.range', { min: 1000, max: 2.5 })).toBe('Muss zwischen 1.000 und 2,5 liegen.');
    expect(translate('en', 'errors.generic', { message: 'boom' })).toBe('The request failed: boom');
  });

  it('leaves an unknown parameter visible', () => {
    expect(translate('en', 'validation.range', { min: 1 })).toBe('Must be between 1 and {max}.');
  });

  it('chooses plural forms by count', () => {
    expect(translate('en', 'fleet.count', { count: 1 })).toBe('1 vehicle');
    expect(translate('en', 'fleet.count', { count: 0 })).toBe('0 vehicles');
    expect(translate('en', 'fleet.count', { count: 1200 })).toBe('1,200 vehicles');
    expect(translate('de', 'fleet.count', { count: 1 })).toBe('1 Fahrzeug');
    expect(translate('de', 'fleet.count', { count: 3 })).toBe('3 Fahrzeuge');
    // German lacks this one: the English forms, chosen by English rules
    expect(translate('de', 'commands.fixErrors', { count: 2 })).toBe('Fix 2 fields before sending.');
  });

  it('shows the key when no catalogue has it', () => {
    expect(translate('en', 'no.such.key' as never)).toBe('no.such.key');
    expect(translateOptional('en', 'signal.NoSuchField')).toBeNull();
    expect(translateOptional('de', 'signal.BatteryLevel')).toBe('Akku');
  });
});

describe('catalogues', () => {
  it('German has no key English lacks', () => {
    const missing = Object.keys(de).filter((key) => !(key in en));
    expect(missing).toEqual([]);
  });

  it('every text names its parameters the same way in every language', () => {
    const names = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const [key, text] of Object.entries(de)) {
      expect(names(text as string), key).toEqual(names(en[key as keyof typeof en]));
    }
  });
});
