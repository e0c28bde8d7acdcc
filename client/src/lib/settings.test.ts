import { describe, expect, it } from 'vitest';
import { defaultSettings, parseSettings, validCurrency, validLocale, validTimeZone } from './settings';

describe('settings', () => {
  it('defaults follow the locale', () => {
    expect(defaultSettings('en-US', 'America/Chicago')).toEqual({
      locale: 'en-US',
      units: { distance: 'mi', temperature: 'F', pressure: 'psi' },
      currency: 'USD',
      timeZone: 'America/Chicago',
    });
    expect(defaultSettings('de-DE', 'Europe/Berlin').currency).toBe('EUR');
    expect(defaultSettings('nonsense!!', 'Mars/Olympus')).toMatchObject({ locale: 'en', timeZone: 'UTC' });
  });

  it('stored settings override the defaults, field by field', () => {
    const defaults = defaultSettings('en-GB', 'Europe/London');
    const stored = JSON.stringify({ units: { temperature: 'F' }, currency: 'NOK' });
    expect(parseSettings(stored, defaults)).toEqual({
      ...defaults,
      units: { ...defaults.units, temperature: 'F' },
      currency: 'NOK',
    });
  });

  it('ignores what is not valid', () => {
    const defaults = defaultSettings('en-GB', 'Europe/London');
    expect(parseSettings('{not json', defaults)).toBe(defaults);
    expect(parseSettings('null', defaults)).toBe(defaults);
    const bad = JSON.stringify({ locale: 42, units: { distance: 'furlong' }, currency: 'euro', timeZone: 'Nowhere/Else' });
    expect(parseSettings(bad, defaults)).toEqual(defaults);
  });

  it('a stored locale brings its own unit defaults', () => {
    const defaults = defaultSettings('de-DE', 'Europe/Berlin');
    expect(parseSettings(JSON.stringify({ locale: 'en-US' }), defaults).units).toEqual({
      distance: 'mi',
      temperature: 'F',
      pressure: 'psi',
    });
  });

  it('validates codes', () => {
    expect(validLocale('de-AT')).toBe(true);
    expect(validLocale('')).toBe(false);
    expect(validCurrency('EUR')).toBe(true);
    expect(validCurrency('eur')).toBe(false);
    expect(validTimeZone('Europe/Berlin')).toBe(true);
    expect(validTimeZone('Europe/Atlantis')).toBe(false);
  });
});
