import { describe, expect, it } from 'vitest';
import { boundsOf, circleBounds, distanceM, isLatLon, isPoint, locationOf, northEdge, trackLengthKm } from './geo';

const berlin = { latitude: 52.52, longitude: 13.405 };
const paris = { latitude: 48.8566, longitude: 2.3522 };

describe('positions', () => {
  it('knows a position when it sees one', () => {
    expect(isLatLon(berlin)).toBe(true);
    expect(isLatLon({ latitude: 91, longitude: 0 })).toBe(false);
    expect(isLatLon({ latitude: 0, longitude: -180.5 })).toBe(false);
    expect(isLatLon({ latitude: NaN, longitude: 0 })).toBe(false);
    expect(isLatLon({ latitude: '52', longitude: 13 })).toBe(false);
    expect(isLatLon(null)).toBe(false);
  });

  it("reads a Location signal's value, and only the position of it", () => {
    expect(locationOf({ latitude: 52.5, longitude: 13.4, extra: 1 })).toEqual({ latitude: 52.5, longitude: 13.4 });
    expect(locationOf('52.5,13.4')).toBeNull();
    expect(locationOf(undefined)).toBeNull();
  });
});

describe('distances', () => {
  it('measures great circles', () => {
    // Berlin to Paris is about 878 km
    expect(distanceM(berlin, paris) / 1000).toBeCloseTo(877.5, 0);
    // a degree of latitude is about 111.2 km
    expect(distanceM({ latitude: 0, longitude: 0 }, { latitude: 1, longitude: 0 })).toBeCloseTo(111_195, -1);
    expect(distanceM(berlin, berlin)).toBe(0);
  });

  it("adds a track's legs and skips what is not a position", () => {
    const track = [
      { latitude: 0, longitude: 0 },
      { latitude: 0, longitude: 0.01 },
      { latitude: 99, longitude: 0 },
      { latitude: 0.01, longitude: 0.01 },
    ];
    expect(trackLengthKm(track)).toBeCloseTo(2 * 1.11195, 3);
    expect(trackLengthKm([])).toBe(0);
    expect(trackLengthKm([berlin])).toBe(0);
  });
});

describe('bounds', () => {
  it('holds every point', () => {
    expect(boundsOf([berlin, paris])).toEqual({ south: 48.8566, west: 2.3522, north: 52.52, east: 13.405 });
    expect(boundsOf([])).toBeNull();
    expect(boundsOf([{ latitude: 200, longitude: 0 }])).toBeNull();
  });

  it('holds circles whole, wider in longitude away from the equator', () => {
    const box = circleBounds({ center: { latitude: 60, longitude: 10 }, radiusM: 1113.2 });
    expect(box.north - 60).toBeCloseTo(0.01, 5);
    expect(60 - box.south).toBeCloseTo(0.01, 5);
    // cos 60° = 0.5: twice as many degrees of longitude for the same metres
    expect(box.east - 10).toBeCloseTo(0.02, 5);
    const both = boundsOf([{ latitude: 60, longitude: 10 }], [{ center: { latitude: 61, longitude: 10 }, radiusM: 1113.2 }]);
    expect(both?.north).toBeCloseTo(61.01, 5);
    expect(both?.south).toBe(60);
  });

  it('stays on the globe at the poles and with huge circles', () => {
    const box = circleBounds({ center: { latitude: 90, longitude: 0 }, radiusM: 5000 });
    expect(box.north).toBe(90);
    expect(box.west).toBe(-180);
    expect(box.east).toBe(180);
  });

  it("finds a circle's northern edge, as far north as its radius", () => {
    const edge = northEdge({ center: berlin, radiusM: 500 });
    expect(edge.longitude).toBe(berlin.longitude);
    expect(distanceM(berlin, edge)).toBeCloseTo(500, -1);
    expect(northEdge({ center: { latitude: 89.9999, longitude: 0 }, radiusM: 5000 }).latitude).toBe(90);
  });

  it('tells a single point from an area', () => {
    expect(isPoint(boundsOf([berlin, berlin])!)).toBe(true);
    expect(isPoint(boundsOf([berlin, paris])!)).toBe(false);
    expect(isPoint(boundsOf([berlin], [{ center: berlin, radiusM: 100 }])!)).toBe(false);
  });
});
