import { describe, expect, it } from 'vitest';
import { en, type BaseKey } from '../i18n/en';
import {
  filterPalette,
  highlightRuns,
  isPaletteShortcut,
  matchText,
  moveActive,
  normalize,
  paletteItems,
  shortcutLabel,
  topPages,
  type PaletteItem,
} from './palette';
import { humanize } from './signals';

const VIN = '5YJ3E7EB2NF000001';
const items = paletteItems({
  vehicles: [
    { vin: VIN, displayName: 'Demo Model 3' },
    { vin: '7SAYGDEE1PF000002', displayName: null },
  ],
  commands: [
    { command: 'SET_CHARGE_LIMIT', description: 'Set the charge limit in percent' },
    { command: 'DOOR_UNLOCK', description: 'Unlock the doors' },
    { command: 'HONK_HORN', description: 'Honk' },
  ],
  label: (key: BaseKey) => en[key],
  commandLabel: humanize,
  carWord: 'car',
});

const labels = (query: string) => filterPalette(items, query).map((r) => `${r.item.label}${r.item.context ? ` · ${r.item.context}` : ''}`);

describe('palette items', () => {
  it('offers every top-level page, each car with its pages, and each car’s commands', () => {
    expect(items.filter((i) => i.kind === 'page' && !i.context).map((i) => i.to)).toEqual([
      '/',
      '/places',
      '/exports',
      '/notifications',
      '/automations',
      '/helix',
      '/settings',
    ]);
    const car = items.find((i) => i.id === `car:${VIN}`);
    expect(car).toMatchObject({ kind: 'car', label: 'Demo Model 3', to: `/cars/${VIN}` });
    expect(items.filter((i) => i.context === 'Demo Model 3' && i.kind === 'page').map((i) => i.to)).toEqual([
      `/cars/${VIN}/drives`,
      `/cars/${VIN}/charging`,
      `/cars/${VIN}/battery`,
      `/cars/${VIN}/stats`,
      `/cars/${VIN}/commands`,
    ]);
    // a car without a name goes by its VIN
    expect(items.find((i) => i.id === 'car:7SAYGDEE1PF000002')?.label).toBe('7SAYGDEE1PF000002');
    const command = items.find((i) => i.id === `command:${VIN}:SET_CHARGE_LIMIT`);
    expect(command).toMatchObject({ kind: 'command', label: 'Set charge limit', context: 'Demo Model 3', to: `/cars/${VIN}/commands?command=SET_CHARGE_LIMIT` });
    expect(new Set(items.map((i) => i.id)).size).toBe(items.length);
  });
});

describe('top-level pages', () => {
  it('offers Helix only while it is on', () => {
    expect(topPages({ helix: false }).map((p) => p.path)).not.toContain('/helix');
    expect(topPages({ helix: true }).map((p) => p.path)).toContain('/helix');
    expect(topPages({ helix: true })).toHaveLength(topPages({ helix: false }).length + 1);
  });
});

describe('matching', () => {
  it('normalizes case, accents and spaces', () => {
    expect(normalize('  Démo   MODEL ')).toBe('demo model');
  });

  it('ranks the whole text over its start over a word start over the middle of a word over letters in order', () => {
    const whole = matchText('drives', 'Drives')!.score;
    const start = matchText('dri', 'Drives')!.score;
    const word = matchText('limit', 'Set charge limit')!.score;
    const middle = matchText('arge', 'Set charge limit')!.score;
    const fuzzy = matchText('scl', 'Set charge limit')!.score;
    expect(whole).toBeGreaterThan(start);
    expect(start).toBeGreaterThan(word);
    expect(word).toBeGreaterThan(middle);
    expect(middle).toBeGreaterThan(fuzzy);
    expect(matchText('xyz', 'Set charge limit')).toBeNull();
    expect(matchText('lcs', 'Set charge limit')).toBeNull(); // letters out of order
  });

  it('reports the positions that matched, in the original text', () => {
    expect(matchText('charge', 'Set charge limit')?.indices).toEqual([4, 5, 6, 7, 8, 9]);
    expect(matchText('scl', 'Set charge limit')?.indices).toEqual([0, 4, 11]);
    expect(matchText('ecole', 'École')?.indices).toEqual([0, 1, 2, 3, 4]);
    // a word-start occurrence is preferred to an earlier one inside a word
    expect(matchText('art', 'Start art')?.indices).toEqual([6, 7, 8]);
  });
});

describe('filtering', () => {
  it('keeps every item, in order, for an empty query, up to the limit', () => {
    expect(filterPalette(items, '   ').map((r) => r.item)).toEqual(items);
    expect(filterPalette(items, '', 3)).toHaveLength(3);
  });

  it('finds a car by name, by VIN and by the word car', () => {
    expect(labels('demo')[0]).toBe('Demo Model 3');
    expect(filterPalette(items, 'PF000002')[0]?.item.id).toBe('car:7SAYGDEE1PF000002');
    expect(filterPalette(items, 'car').filter((r) => r.item.kind === 'car')).toHaveLength(2);
  });

  it('puts the best match first and needs every word to match', () => {
    expect(labels('drives')[0]).toBe('Drives · Demo Model 3');
    expect(labels('drives 000002')).toEqual(['Drives · 7SAYGDEE1PF000002']);
    expect(labels('charge limit model')).toEqual(['Set charge limit · Demo Model 3']);
    expect(labels('settings')[0]).toBe('Settings');
    expect(labels('nothing like this')).toEqual([]);
  });

  it('finds commands by letters in order and by their enum name or description', () => {
    expect(labels('setchlim')[0]).toMatch(/^Set charge limit/);
    expect(filterPalette(items, 'DOOR_UNLOCK').map((r) => r.item.id)).toContain(`command:${VIN}:DOOR_UNLOCK`);
    expect(labels('unlock the doors')).toHaveLength(2);
  });

  it('highlights only what matched in the label', () => {
    const result = filterPalette(items, 'horn')[0]!;
    expect(result.item.label).toBe('Honk horn');
    expect(highlightRuns(result.item.label, result.indices)).toEqual([
      { text: 'Honk ', hit: false },
      { text: 'horn', hit: true },
    ]);
    // matched through the context: nothing in the label lights up
    const byContext = filterPalette(items, 'model').find((r) => r.item.kind === 'command') as { item: PaletteItem; indices: number[] };
    expect(byContext.indices).toEqual([]);
  });
});

describe('keyboard', () => {
  it('moves the active option with wrap-around', () => {
    expect(moveActive(-1, 1, 3)).toBe(0);
    expect(moveActive(-1, -1, 3)).toBe(2);
    expect(moveActive(2, 1, 3)).toBe(0);
    expect(moveActive(0, -1, 3)).toBe(2);
    expect(moveActive(1, 1, 3)).toBe(2);
    expect(moveActive(0, 1, 0)).toBe(-1);
  });

  it('opens on Ctrl+K and ⌘K only', () => {
    const key = (over: Partial<Parameters<typeof isPaletteShortcut>[0]>) => ({ key: 'k', ctrlKey: false, metaKey: false, altKey: false, shiftKey: false, ...over });
    expect(isPaletteShortcut(key({ ctrlKey: true }))).toBe(true);
    expect(isPaletteShortcut(key({ metaKey: true, key: 'K' }))).toBe(true);
    expect(isPaletteShortcut(key({}))).toBe(false);
    expect(isPaletteShortcut(key({ ctrlKey: true, shiftKey: true }))).toBe(false);
    expect(isPaletteShortcut(key({ ctrlKey: true, key: 'j' }))).toBe(false);
    // on a Mac only ⌘K: Ctrl+K deletes to the end of the line in its text fields
    expect(isPaletteShortcut(key({ metaKey: true }), 'MacIntel')).toBe(true);
    expect(isPaletteShortcut(key({ ctrlKey: true }), 'MacIntel')).toBe(false);
    expect(isPaletteShortcut(key({ ctrlKey: true }), 'Linux x86_64')).toBe(true);
    expect(shortcutLabel('MacIntel')).toBe('⌘K');
    expect(shortcutLabel('Linux x86_64')).toBe('Ctrl K');
  });
});
