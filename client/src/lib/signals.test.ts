import { describe, expect, it } from 'vitest';
import { translate } from '../i18n/translate';
import { displaySignal, humanize, mergeSignal, mergeSignals, toSignalMap } from './signals';
import { IMPERIAL, METRIC } from './units';

const ctx = (locale = 'en', units = METRIC) => ({
  locale,
  units,
  t: (key: Parameters<typeof translate>[1], params?: Parameters<typeof translate>[2]) => translate(locale, key, params),
});
const plain = (text: string) => text.replace(/[\u00a0\u202f]/g, ' ');

describe('merging live values', () => {
  const older = { name: 'BatteryLevel', value: 61.7, unit: '%', at: '2026-11-28T08:10:25Z' };
  const newer = { name: 'BatteryLevel', value: 61.6, unit: '%', at: '2026-11-28T08:11:13Z' };

  it('takes a newer value', () => {
    expect(mergeSignal(toSignalMap([older]), newer).BatteryLevel).toBe(newer);
  });

  it('never lets a late value hide a fresher one', () => {
    const map = toSignalMap([newer]);
    expect(mergeSignal(map, older)).toBe(map);
  });

  it('merges maps field by field', () => {
    const speed = { name: 'VehicleSpeed', value: 52, unit: 'km/h', at: '2026-11-28T08:11:30Z' };
    const merged = mergeSignals(toSignalMap([newer]), toSignalMap([older, speed]));
    expect(merged.BatteryLevel).toBe(newer);
    expect(merged.VehicleSpeed).toBe(speed);
  });
});

describe('displaySignal', () => {
  const at = '2026-11-28T08:10:25Z';

  it('shows a dash for a missing or invalid value', () => {
    expect(displaySignal(undefined, ctx())).toBe('—');
    expect(displaySignal({ name: 'VehicleSpeed', value: null, unit: 'km/h', at }, ctx())).toBe('—');
  });

  it('converts numbers to the user units', () => {
    expect(plain(displaySignal({ name: 'VehicleSpeed', value: 52, unit: 'km/h', at }, ctx()))).toBe('52 km/h');
    expect(plain(displaySignal({ name: 'VehicleSpeed', value: 80.4672, unit: 'km/h', at }, ctx('en-US', IMPERIAL)))).toBe('50 mph');
    expect(plain(displaySignal({ name: 'TpmsPressureFl', value: 2.87, unit: 'bar', at }, ctx('de')))).toBe('2,87 bar');
    expect(plain(displaySignal({ name: 'TimeToFullCharge', value: 1.5, unit: 'h', at }, ctx()))).toBe('1 h 30 min');
    expect(displaySignal({ name: 'GpsHeading', value: 110, unit: 'deg', at }, ctx())).toBe('110°');
  });

  it('says what locks, doors and enums mean', () => {
    expect(displaySignal({ name: 'Locked', value: true, at }, ctx())).toBe('Locked');
    expect(displaySignal({ name: 'Locked', value: false, at }, ctx())).toBe('Unlocked');
    const doors = { DriverFront: false, TrunkRear: false };
    expect(displaySignal({ name: 'DoorState', value: doors, at }, ctx())).toBe('All closed');
    expect(displaySignal({ name: 'DoorState', value: { ...doors, DriverFront: true, TrunkRear: true }, at }, ctx())).toBe(
      'Open: Driver front, Trunk rear',
    );
    expect(displaySignal({ name: 'Gear', value: 'D', at }, ctx())).toBe('D');
    expect(displaySignal({ name: 'DetailedChargeState', value: 'NoPower', at }, ctx())).toBe('No power');
    expect(displaySignal({ name: 'ChargePortDoorOpen', value: false, at }, ctx())).toBe('No');
  });

  it('shows positions', () => {
    expect(displaySignal({ name: 'Location', value: { latitude: 52.5219, longitude: 13.4132 }, at }, ctx())).toBe('52.52190, 13.41320');
  });

  it('humanizes names', () => {
    expect(humanize('SET_CHARGE_LIMIT')).toBe('Set charge limit');
    expect(humanize('charging_amps')).toBe('Charging amps');
    expect(humanize('DriverFront')).toBe('Driver front');
  });
});
