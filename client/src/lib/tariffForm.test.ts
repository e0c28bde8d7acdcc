import { describe, expect, it } from 'vitest';
import {
  buildTariffInput,
  emptyTariffValues,
  emptyWindowValues,
  parseClock,
  parsePrice,
  tariffFormKeys,
  tariffValues,
  weekdayName,
  weekdayRuns,
  weekdaysText,
  type TariffValues,
} from './tariffForm';

const base = (): TariffValues => ({ ...emptyTariffValues('EUR', 'Europe/Berlin'), name: 'Home', pricePerKwh: '0,32' });

describe('tariff form', () => {
  it("starts with the user's currency and time zone and no price", () => {
    expect(emptyTariffValues('GBP', 'Europe/London')).toMatchObject({ currency: 'GBP', timezone: 'Europe/London', pricePerKwh: '', windows: [] });
    expect(emptyWindowValues()).toEqual({
      weekdays: ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY'],
      start: '22:00',
      end: '06:00',
      pricePerKwh: '',
      pricePerMinute: '',
    });
  });

  it('turns a tariff with a night window into the input, prices as Decimal text', () => {
    const values: TariffValues = {
      ...base(),
      currency: 'eur',
      sessionFee: '1',
      freeSupercharging: true,
      windows: [{ ...emptyWindowValues(), weekdays: ['FRIDAY', 'MONDAY'], pricePerKwh: '0.18', pricePerMinute: '' }],
    };
    expect(buildTariffInput(values)).toEqual({
      input: {
        name: 'Home',
        currency: 'EUR',
        timezone: 'Europe/Berlin',
        pricePerKwh: '0.32',
        pricePerMinute: null,
        sessionFee: '1',
        windows: [{ weekdays: ['MONDAY', 'FRIDAY'], start: '22:00', end: '06:00', pricePerKwh: '0.18', pricePerMinute: null }],
        freeSupercharging: true,
      },
      errors: {},
    });
  });

  it('names each wrong field as the API does', () => {
    const values: TariffValues = {
      ...base(),
      name: '',
      currency: 'EURO',
      timezone: 'Mars/Olympus',
      pricePerMinute: '-1',
      windows: [
        { weekdays: [], start: '25:00', end: '06:00', pricePerKwh: '', pricePerMinute: 'x' },
        { weekdays: ['SUNDAY'], start: '10:00', end: '10:00', pricePerKwh: '0.1', pricePerMinute: '' },
      ],
    };
    const { input, errors } = buildTariffInput(values);
    expect(input).toBeNull();
    expect(Object.fromEntries(Object.entries(errors).map(([k, v]) => [k, v.key]))).toEqual({
      name: 'validation.required',
      currency: 'tariffs.errorCurrency',
      timezone: 'tariffs.errorTimeZone',
      pricePerMinute: 'tariffs.errorPrice',
      'windows[0].weekdays': 'tariffs.errorWeekdays',
      'windows[0].start': 'tariffs.errorClock',
      'windows[0].pricePerKwh': 'validation.required',
      'windows[0].pricePerMinute': 'tariffs.errorPrice',
      'windows[1].end': 'tariffs.errorSameTime',
    });
  });

  it('needs some price: a base price, a fee or a window', () => {
    expect(buildTariffInput({ ...base(), pricePerKwh: '' }).errors.pricePerKwh?.key).toBe('tariffs.errorNoPrice');
    expect(buildTariffInput({ ...base(), pricePerKwh: '', sessionFee: '5' }).input?.sessionFee).toBe('5');
    // 0 is a price: charging there is free
    expect(buildTariffInput({ ...base(), pricePerKwh: '0' }).input?.pricePerKwh).toBe('0');
    expect(buildTariffInput({ ...base(), pricePerKwh: '', windows: [{ ...emptyWindowValues(), pricePerKwh: '0.2' }] }).input?.pricePerKwh).toBeNull();
  });

  it('parses prices without float rounding', () => {
    expect(parsePrice('0.1')).toBe('0.1');
    expect(parsePrice('0,30')).toBe('0.30');
    expect(parsePrice('007.5')).toBe('7.5');
    expect(parsePrice('.5')).toBe('0.5');
    expect(parsePrice('12.')).toBe('12');
    expect(parsePrice('0.123456789012345678')).toBe('0.123456789012345678');
    expect(parsePrice('-0.1')).toBeNull();
    expect(parsePrice('1,000.5')).toBeNull();
    expect(parsePrice('€1')).toBeNull();
    expect(parsePrice('')).toBeNull();
  });

  it('parses clock times', () => {
    expect(parseClock('00:00')).toBe(0);
    expect(parseClock('22:30')).toBe(1350);
    expect(parseClock('23:59')).toBe(1439);
    expect(parseClock('24:00')).toBeNull();
    expect(parseClock('7:05')).toBeNull();
    expect(parseClock('07:05:30')).toBeNull();
  });

  it('round-trips a stored tariff', () => {
    const stored = {
      name: 'Night',
      currency: 'EUR',
      timezone: 'Europe/Berlin',
      pricePerKwh: '0.32',
      pricePerMinute: null,
      sessionFee: null,
      freeSupercharging: false,
      windows: [{ weekdays: ['SATURDAY', 'SUNDAY'], start: '00:00', end: '08:00', pricePerKwh: '0.2', pricePerMinute: '0.01' }],
    };
    const values = tariffValues(stored);
    expect(values.pricePerMinute).toBe('');
    expect(values.windows[0]).toEqual({ weekdays: ['SATURDAY', 'SUNDAY'], start: '00:00', end: '08:00', pricePerKwh: '0.2', pricePerMinute: '0.01' });
    expect(buildTariffInput(values).input).toEqual({ ...stored, windows: [{ ...stored.windows[0], weekdays: ['SATURDAY', 'SUNDAY'] }] });
  });

  it("knows the API's field names for its problems", () => {
    const keys = tariffFormKeys({ windows: [emptyWindowValues(), emptyWindowValues()] });
    expect(keys).toContain('pricePerKwh');
    expect(keys).toContain('windows[1]');
    expect(keys).toContain('windows[1].start');
    expect(keys).not.toContain('windows[2]');
  });
});

describe('weekdays', () => {
  it('groups runs of three days or more', () => {
    expect(weekdayRuns(['FRIDAY', 'MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY'])).toEqual([['MONDAY', 'FRIDAY']]);
    expect(weekdayRuns(['SATURDAY', 'SUNDAY'])).toEqual([['SATURDAY'], ['SUNDAY']]);
    expect(weekdayRuns(['MONDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'NOPE'])).toEqual([['MONDAY'], ['WEDNESDAY', 'FRIDAY']]);
    expect(weekdayRuns([])).toEqual([]);
  });

  it('names days in the user language', () => {
    expect(weekdayName('MONDAY', 'en-GB')).toBe('Mon');
    expect(weekdayName('SUNDAY', 'de-DE', 'long')).toBe('Sonntag');
    expect(weekdaysText(['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY'], 'en-GB')).toBe('Mon–Fri');
    expect(weekdaysText(['SATURDAY', 'SUNDAY'], 'en-GB')).toBe('Sat, Sun');
  });
});
