import { describe, expect, it } from 'vitest';
import {
  canonicalTimeZone,
  distanceFromApi,
  distanceToApi,
  mergePreferences,
  preferencesInput,
  pressureFromApi,
  pressureToApi,
  sameSettings,
  settingsFromServer,
  temperatureFromApi,
  temperatureToApi,
  type ServerPreferences,
} from './preferences';
import { defaultSettings, type Settings } from './settings';

const UNSET: ServerPreferences = {
  locale: null,
  distanceUnit: null,
  temperatureUnit: null,
  pressureUnit: null,
  currency: null,
  timeZone: null,
  mapTileUrl: null,
  mapTileAttribution: null,
};

const local: Settings = {
  ...defaultSettings('de-DE', 'Europe/Berlin'),
  mapTileUrl: 'https://tiles.example.org/{z}/{x}/{y}.png',
  mapTileAttribution: '© Example',
};

describe('units between the API and the client', () => {
  it('maps every enum value both ways', () => {
    expect(distanceToApi('km')).toBe('KM');
    expect(distanceToApi('mi')).toBe('MI');
    expect(temperatureToApi('C')).toBe('CELSIUS');
    expect(temperatureToApi('F')).toBe('FAHRENHEIT');
    expect(pressureToApi('bar')).toBe('BAR');
    expect(pressureToApi('psi')).toBe('PSI');
    expect(pressureToApi('kPa')).toBe('KPA');
    for (const unit of ['km', 'mi'] as const) expect(distanceFromApi(distanceToApi(unit))).toBe(unit);
    for (const unit of ['C', 'F'] as const) expect(temperatureFromApi(temperatureToApi(unit))).toBe(unit);
    for (const unit of ['bar', 'psi', 'kPa'] as const) expect(pressureFromApi(pressureToApi(unit))).toBe(unit);
  });

  it('null, and a value this client does not know, are unset', () => {
    expect(distanceFromApi(null)).toBeUndefined();
    expect(temperatureFromApi(undefined)).toBeUndefined();
    // a newer API's unit, say
    expect(pressureFromApi('ATM' as never)).toBeUndefined();
    expect(distanceFromApi('toString' as never)).toBeUndefined();
  });
});

describe('the server’s preferences over this browser’s settings', () => {
  it('nothing set on the server (or no preferences at all) keeps this browser’s settings', () => {
    expect(mergePreferences(local, UNSET)).toEqual(local);
    expect(mergePreferences(local, null)).toEqual(local);
    expect(mergePreferences(local, undefined)).toEqual(local);
    expect(settingsFromServer(UNSET)).toEqual({});
  });

  it('a value set on the server wins, field by field, units each on their own', () => {
    const merged = mergePreferences(local, { ...UNSET, distanceUnit: 'MI', timeZone: 'America/New_York', currency: 'USD' });
    expect(merged).toEqual({
      ...local,
      units: { distance: 'mi', temperature: 'C', pressure: 'bar' },
      timeZone: 'America/New_York',
      currency: 'USD',
    });
  });

  it('takes everything the server has', () => {
    const server: ServerPreferences = {
      locale: 'en-US',
      distanceUnit: 'MI',
      temperatureUnit: 'FAHRENHEIT',
      pressureUnit: 'KPA',
      currency: 'GBP',
      timeZone: 'Europe/London',
      mapTileUrl: 'https://maps.example.net/{z}/{x}/{y}.png',
      mapTileAttribution: '© Maps',
    };
    expect(mergePreferences(local, server)).toEqual({
      locale: 'en-US',
      units: { distance: 'mi', temperature: 'F', pressure: 'kPa' },
      currency: 'GBP',
      timeZone: 'Europe/London',
      mapTileUrl: 'https://maps.example.net/{z}/{x}/{y}.png',
      mapTileAttribution: '© Maps',
    });
  });

  it('the server’s tiles come with their own credit, never with this browser’s', () => {
    const merged = mergePreferences(local, { ...UNSET, mapTileUrl: 'https://maps.example.net/{z}/{x}/{y}.png' });
    expect(merged.mapTileUrl).toBe('https://maps.example.net/{z}/{x}/{y}.png');
    expect(merged).not.toHaveProperty('mapTileAttribution');
    // a credit alone (no tiles set there) changes nothing
    expect(mergePreferences(local, { ...UNSET, mapTileAttribution: '© Other' })).toEqual(local);
  });

  it('ignores what this browser cannot use, keeping its own value', () => {
    const merged = mergePreferences(local, {
      ...UNSET,
      locale: 'not a tag!',
      currency: 'euro',
      timeZone: 'Mars/Olympus',
      mapTileUrl: 'ftp://tiles.example.org/{z}/{x}/{y}.png',
      distanceUnit: 'FURLONG' as never,
    });
    expect(merged).toEqual(local);
  });

  it('does not change the settings it is given', () => {
    const before = structuredClone(local);
    mergePreferences(local, { ...UNSET, distanceUnit: 'MI' });
    expect(local).toEqual(before);
  });
});

describe('the settings for setPreferences', () => {
  it('sends every field, the units as the API’s enums', () => {
    expect(preferencesInput(local)).toEqual({
      locale: 'de-DE',
      distanceUnit: 'KM',
      temperatureUnit: 'CELSIUS',
      pressureUnit: 'BAR',
      currency: 'EUR',
      timeZone: 'Europe/Berlin',
      mapTileUrl: 'https://tiles.example.org/{z}/{x}/{y}.png',
      mapTileAttribution: '© Example',
    });
  });

  it('empty tile fields are null (unset), and a credit goes only with tiles', () => {
    const input = preferencesInput({ ...local, mapTileUrl: '  ', mapTileAttribution: '© Orphan' });
    expect(input.mapTileUrl).toBeNull();
    expect(input.mapTileAttribution).toBeNull();
    const noCredit = preferencesInput({ ...local, mapTileAttribution: ' ' });
    expect(noCredit.mapTileAttribution).toBeNull();
    const { mapTileUrl: _url, mapTileAttribution: _credit, ...without } = local;
    expect(preferencesInput(without)).toMatchObject({ mapTileUrl: null, mapTileAttribution: null });
  });

  it('spells the time zone as the IANA database does', () => {
    expect(canonicalTimeZone('europe/berlin')).toBe('Europe/Berlin');
    expect(canonicalTimeZone('Nowhere/Else')).toBe('Nowhere/Else');
    expect(preferencesInput({ ...local, timeZone: 'america/new_york' }).timeZone).toBe('America/New_York');
  });

  it('what is saved reads back as the same settings', () => {
    const saved = preferencesInput(local);
    expect(mergePreferences(defaultSettings('en-US', 'UTC'), saved)).toEqual(local);
  });
});

describe('sameSettings', () => {
  it('compares what is shown; empty tile fields are missing ones', () => {
    expect(sameSettings(local, structuredClone(local))).toBe(true);
    expect(sameSettings(local, { ...local, units: { ...local.units, pressure: 'psi' } })).toBe(false);
    expect(sameSettings(local, { ...local, timeZone: 'UTC' })).toBe(false);
    const { mapTileUrl: _url, mapTileAttribution: _credit, ...without } = local;
    expect(sameSettings(without, { ...without, mapTileUrl: '', mapTileAttribution: ' ' })).toBe(true);
    expect(sameSettings(without, local)).toBe(false);
  });
});
