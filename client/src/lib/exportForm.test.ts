import { describe, expect, it } from 'vitest';
import { buildExportInput, defaultExportValues } from './exportForm';

const VIN = '5YJ3E7EB2NF000001';

describe('export form', () => {
  it('builds the input with the redaction defaults and whole days', () => {
    const { input, errors } = buildExportInput(defaultExportValues([VIN], '2026-07-01', '2026-07-31'), 'Europe/Berlin');
    expect(errors).toEqual({});
    expect(input).toEqual({
      dataset: 'DRIVES',
      format: 'CSV',
      vins: [VIN],
      since: '2026-06-30T22:00:00.000Z',
      until: '2026-07-31T22:00:00.000Z',
      redaction: { maskVin: true, locationDecimals: 3, dropLocations: false, dropAddresses: true },
    });
  });

  it('names what is wrong', () => {
    const values = { ...defaultExportValues([], '2026-07-31', '2026-07-01'), locationDecimals: '5' };
    const { input, errors } = buildExportInput(values, 'UTC');
    expect(input).toBeNull();
    expect(errors).toEqual({ vins: 'exports.errorVins', to: 'exports.errorOrder', locationDecimals: 'exports.errorDecimals' });
    expect(buildExportInput(defaultExportValues([VIN], '', '2026-07-01'), 'UTC').errors).toEqual({ from: 'validation.required' });
    expect(buildExportInput(defaultExportValues([VIN], '2020-01-01', '2026-07-01'), 'UTC').errors).toEqual({ to: 'exports.errorLong' });
  });
});
