import { describe, expect, it } from 'vitest';
import { buildGeofenceInput, DEFAULT_RADIUS_M, draftCircle, emptyGeofenceValues, geofenceValues, parseDegrees, positionValues } from './geofenceForm';

const valid = { name: ' Home ', latitude: '52.520008', longitude: '13,404954', radiusM: '250', tariffId: '3' };

describe('geofence form', () => {
  it('starts empty with a default radius', () => {
    expect(emptyGeofenceValues()).toEqual({ name: '', latitude: '', longitude: '', radiusM: String(DEFAULT_RADIUS_M), tariffId: '' });
  });

  it('turns valid values into the input, a comma taken as decimal mark', () => {
    expect(buildGeofenceInput(valid)).toEqual({
      input: { name: 'Home', latitude: 52.520008, longitude: 13.404954, radiusM: 250, tariffId: '3' },
      errors: {},
    });
    expect(buildGeofenceInput({ ...valid, tariffId: '' }).input?.tariffId).toBeNull();
  });

  it('names every field that is wrong, as the API names them', () => {
    const { input, errors } = buildGeofenceInput({ name: '  ', latitude: '95', longitude: 'east', radiusM: '100001', tariffId: '' });
    expect(input).toBeNull();
    expect(errors).toEqual({
      name: { key: 'validation.required' },
      latitude: { key: 'validation.range', params: { min: -90, max: 90 } },
      longitude: { key: 'validation.number' },
      radiusM: { key: 'validation.range', params: { min: 1, max: 100000 } },
    });
    expect(buildGeofenceInput({ ...valid, latitude: '', longitude: '' }).errors).toMatchObject({
      latitude: { key: 'places.errorPosition' },
      longitude: { key: 'places.errorPosition' },
    });
    expect(buildGeofenceInput({ ...valid, radiusM: '0' }).errors.radiusM?.key).toBe('validation.range');
    expect(buildGeofenceInput({ ...valid, radiusM: '-5' }).errors.radiusM?.key).toBe('validation.number');
    expect(buildGeofenceInput({ ...valid, radiusM: '' }).errors.radiusM?.key).toBe('validation.required');
  });

  it('parses degrees as typed', () => {
    expect(parseDegrees('-0.5')).toBe(-0.5);
    expect(parseDegrees('\u221212,5')).toBe(-12.5);
    expect(parseDegrees('+7')).toBe(7);
    expect(parseDegrees('.25')).toBe(0.25);
    expect(parseDegrees('1e3')).toBeNull();
    expect(parseDegrees('52°')).toBeNull();
    expect(parseDegrees('')).toBeNull();
  });

  it('draws the circle while it is typed, once it has a centre', () => {
    expect(draftCircle(emptyGeofenceValues())).toBeNull();
    expect(draftCircle({ ...valid, radiusM: '' })).toEqual({ center: { latitude: 52.520008, longitude: 13.404954 }, radiusM: 0 });
    expect(draftCircle({ ...valid, radiusM: '250000' })?.radiusM).toBe(100000);
    expect(draftCircle({ ...valid, latitude: '100' })).toBeNull();
  });

  it('round-trips a stored geofence and a picked position', () => {
    const values = geofenceValues({ name: 'Work', latitude: 48.1371234567, longitude: 11.5753822, radiusM: 120.04, tariff: { id: '7' } });
    expect(values).toEqual({ name: 'Work', latitude: '48.137123', longitude: '11.575382', radiusM: '120', tariffId: '7' });
    expect(geofenceValues({ name: 'X', latitude: 0, longitude: 0, radiusM: 50, tariff: null }).tariffId).toBe('');
    expect(positionValues({ latitude: -33.8688, longitude: 151.2093 })).toEqual({ latitude: '-33.8688', longitude: '151.2093' });
  });
});
