import { describe, expect, it } from 'vitest';
import { defaultSettings, parseSettings } from './settings';
import { DEFAULT_MAX_ZOOM, expandTileUrl, resolveTileSource, tileHost, tileOverrideProblem, tileTemplateProblem, validTileTemplate } from './mapTiles';

describe('tileTemplateProblem', () => {
  it('takes XYZ templates of any provider, with sub-domains, retina and TMS rows', () => {
    expect(tileTemplateProblem('https://tile.example.org/{z}/{x}/{y}.png')).toBeNull();
    expect(tileTemplateProblem('https://{s}.tiles.example.net/base/{z}/{x}/{y}{r}.png?key=abc')).toBeNull();
    expect(tileTemplateProblem('http://127.0.0.1:8080/tms/{z}/{x}/{-y}.png')).toBeNull();
    expect(tileTemplateProblem('  /tiles/{z}/{x}/{y}.webp  ')).toBeNull();
  });

  it('names what is wrong', () => {
    expect(tileTemplateProblem('')).toBe('map.tiles.errorEmpty');
    expect(tileTemplateProblem('   ')).toBe('map.tiles.errorEmpty');
    expect(tileTemplateProblem('https://tile.example.org/{z}/{x}.png')).toBe('map.tiles.errorXyz');
    expect(tileTemplateProblem('https://tile.example.org/{z}/{x}/{y}/{apikey}.png')).toBe('map.tiles.errorPlaceholder');
    expect(tileTemplateProblem('https://tile.example.org/{z}/{x}/{y.png')).toBe('map.tiles.errorPlaceholder');
    expect(tileTemplateProblem('https://tile.example.org/{z}/{x}/{y}}.png')).toBe('map.tiles.errorPlaceholder');
    expect(tileTemplateProblem('ftp://tile.example.org/{z}/{x}/{y}.png')).toBe('map.tiles.errorUrl');
    expect(tileTemplateProblem('javascript:alert(1)//{z}/{x}/{y}')).toBe('map.tiles.errorUrl');
    expect(tileTemplateProblem('//tile.example.org/{z}/{x}/{y}.png')).toBe('map.tiles.errorUrl');
    expect(tileTemplateProblem('tile.example.org/{z}/{x}/{y}.png')).toBe('map.tiles.errorUrl');
    expect(tileTemplateProblem('https://tile.example.org/{z}/{x}/{y} .png')).toBe('map.tiles.errorUrl');
  });

  it('lets the Settings field be empty (the server decides)', () => {
    expect(tileOverrideProblem('')).toBeNull();
    expect(tileOverrideProblem(undefined)).toBeNull();
    expect(tileOverrideProblem('  ')).toBeNull();
    expect(tileOverrideProblem('https://t.example/{z}')).toBe('map.tiles.errorXyz');
  });

  it('is a type guard for stored values', () => {
    expect(validTileTemplate('https://t.example/{z}/{x}/{y}')).toBe(true);
    expect(validTileTemplate(42)).toBe(false);
    expect(validTileTemplate(null)).toBe(false);
  });
});

describe('expandTileUrl', () => {
  it('fills the placeholders as Leaflet does', () => {
    const template = 'https://{s}.t.example/{z}/{x}/{y}{r}.png';
    expect(expandTileUrl(template, { z: 3, x: 4, y: 2 })).toBe('https://a.t.example/3/4/2.png');
    expect(expandTileUrl(template, { z: 3, x: 4, y: 3 }, { retina: true })).toBe('https://b.t.example/3/4/3@2x.png');
    expect(expandTileUrl(template, { z: 3, x: 4, y: 4 })).toBe('https://c.t.example/3/4/4.png');
    // TMS counts rows from the south: at zoom 3 there are 8
    expect(expandTileUrl('/{z}/{x}/{-y}', { z: 3, x: 1, y: 0 })).toBe('/3/1/7');
  });
});

describe('resolveTileSource', () => {
  const server = { mapTileUrl: 'https://tiles.example.org/{z}/{x}/{y}.png', mapTileAttribution: '© Example', mapMaxZoom: 17 };

  it('has no tiles when neither the server nor the browser names any', () => {
    expect(resolveTileSource({ mapTileUrl: null, mapMaxZoom: 19 }, {})).toBeNull();
    expect(resolveTileSource(undefined, undefined)).toBeNull();
    expect(resolveTileSource({ mapTileUrl: null }, { mapTileUrl: '   ' })).toBeNull();
  });

  it("uses the server's tiles with their credit and zoom", () => {
    expect(resolveTileSource(server, { mapTileUrl: '' })).toEqual({ url: server.mapTileUrl, attribution: '© Example', maxZoom: 17, from: 'server' });
  });

  it("prefers the browser's own template, with its own credit or its host", () => {
    expect(resolveTileSource(server, { mapTileUrl: 'https://{s}.mine.example/{z}/{x}/{y}.png' })).toEqual({
      url: 'https://{s}.mine.example/{z}/{x}/{y}.png',
      attribution: 'mine.example',
      maxZoom: DEFAULT_MAX_ZOOM,
      from: 'browser',
    });
    expect(resolveTileSource(null, { mapTileUrl: 'http://127.0.0.1:9/{z}/{x}/{y}.png', mapTileAttribution: ' © Me ' })).toMatchObject({
      attribution: '© Me',
      from: 'browser',
    });
    // the same template as the server's keeps the server's credit and zoom
    expect(resolveTileSource(server, { mapTileUrl: server.mapTileUrl })).toMatchObject({ attribution: '© Example', maxZoom: 17 });
  });

  it("falls back to the server's when the browser's template is not valid, and ignores an invalid server one", () => {
    expect(resolveTileSource(server, { mapTileUrl: 'https://broken.example/{z}.png' })).toMatchObject({ from: 'server' });
    expect(resolveTileSource({ mapTileUrl: 'https://x.example/{foo}' }, {})).toBeNull();
  });

  it('keeps the zoom sane', () => {
    expect(resolveTileSource({ ...server, mapMaxZoom: 0 }, {})?.maxZoom).toBe(DEFAULT_MAX_ZOOM);
    expect(resolveTileSource({ ...server, mapMaxZoom: 40 }, {})?.maxZoom).toBe(22);
  });
});

describe('tileHost', () => {
  it('names the host, without the first sub-domain placeholder', () => {
    expect(tileHost('https://{s}.tile.example.org/{z}/{x}/{y}.png')).toBe('tile.example.org');
    expect(tileHost('http://127.0.0.1:8080/{z}/{x}/{y}.png')).toBe('127.0.0.1');
    expect(tileHost('/tiles/{z}/{x}/{y}.png')).toBe('');
  });
});

describe('the per-browser override in the settings', () => {
  const defaults = defaultSettings('en-GB', 'Europe/London');

  it('is kept when it is a valid template, with its credit', () => {
    const stored = JSON.stringify({ mapTileUrl: ' https://t.example/{z}/{x}/{y}.png ', mapTileAttribution: ' © T ' });
    expect(parseSettings(stored, defaults)).toEqual({ ...defaults, mapTileUrl: 'https://t.example/{z}/{x}/{y}.png', mapTileAttribution: '© T' });
  });

  it('is dropped when not valid or empty: the server decides', () => {
    expect(parseSettings(JSON.stringify({ mapTileUrl: 'https://t.example/{q}', mapTileAttribution: 'x' }), defaults)).toEqual(defaults);
    expect(parseSettings(JSON.stringify({ mapTileUrl: '' }), defaults)).not.toHaveProperty('mapTileUrl');
  });
});
