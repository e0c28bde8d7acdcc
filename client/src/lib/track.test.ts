import { describe, expect, it } from 'vitest';
import { polylinePoints, projectTrack } from './track';

describe('projectTrack', () => {
  it('fits the track into the box with north up and the aspect kept', () => {
    // 0.01° east at the equator is as long as 0.01° north
    const { points } = projectTrack(
      [
        { latitude: 0, longitude: 0 },
        { latitude: 0.01, longitude: 0.01 },
      ],
      100,
      100,
      0,
    );
    expect(points).toEqual([
      { x: 0, y: 100 },
      { x: 100, y: 0 },
    ]);
  });

  it('centres a track narrower than the box', () => {
    const { points } = projectTrack(
      [
        { latitude: 0, longitude: 0 },
        { latitude: 0.02, longitude: 0.01 },
      ],
      100,
      100,
      10,
    );
    expect(points).toEqual([
      { x: 30, y: 90 },
      { x: 70, y: 10 },
    ]);
  });

  it('shrinks east-west by the cosine of the latitude', () => {
    const { points } = projectTrack(
      [
        { latitude: 60, longitude: 0 },
        { latitude: 60, longitude: 0.02 },
        { latitude: 60.01, longitude: 0.02 },
      ],
      200,
      200,
      0,
    );
    // at 60° north, 0.02° east is as long as 0.01° north: a square's two sides
    const [a, b, c] = points;
    expect(Math.abs((b!.x - a!.x) - (b!.y - c!.y))).toBeLessThan(0.5);
  });

  it('puts a single point in the middle and drops invalid ones', () => {
    const { points } = projectTrack(
      [
        { latitude: 52.5, longitude: 13.4 },
        { latitude: NaN, longitude: 13 },
        { latitude: 95, longitude: 0 },
      ],
      100,
      60,
    );
    expect(points).toEqual([{ x: 50, y: 30 }]);
    expect(projectTrack([], 100, 100).points).toEqual([]);
  });

  it('writes polyline points', () => {
    expect(polylinePoints([{ x: 1, y: 2 }, { x: 3.5, y: 4 }])).toBe('1,2 3.5,4');
  });
});
