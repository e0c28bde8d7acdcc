// The export form: what it holds, checked, and turned into the ExportInput createExport takes.

import type { MessageKey } from '../i18n/en';
import { dateRange } from './paging';

export const DATASETS = ['DRIVES', 'CHARGING_SESSIONS', 'SIGNALS', 'POSITIONS', 'STATES'] as const;
export const FORMATS = ['CSV', 'JSONL', 'PARQUET'] as const;
export type Dataset = (typeof DATASETS)[number];
export type Format = (typeof FORMATS)[number];

export interface ExportFormValues {
  dataset: Dataset;
  format: Format;
  vins: string[];
  from: string;
  to: string;
  maskVin: boolean;
  /** '' (exact: needs a step-up the form does not offer), or '0'..'3' */
  locationDecimals: string;
  dropLocations: boolean;
  dropAddresses: boolean;
}

/** The API's redaction defaults. */
export function defaultExportValues(vins: string[], from: string, to: string): ExportFormValues {
  return {
    dataset: 'DRIVES',
    format: 'CSV',
    vins,
    from,
    to,
    maskVin: true,
    locationDecimals: '3',
    dropLocations: false,
    dropAddresses: true,
  };
}

export interface ExportInputShape {
  dataset: Dataset;
  format: Format;
  vins: string[];
  since: string;
  until: string;
  redaction: { maskVin: boolean; locationDecimals: number; dropLocations: boolean; dropAddresses: boolean };
}

const MAX_RANGE_MS = 3 * 366 * 86_400_000;

export function buildExportInput(
  values: ExportFormValues,
  timeZone: string,
): { input: ExportInputShape | null; errors: Partial<Record<'vins' | 'from' | 'to' | 'locationDecimals', MessageKey>> } {
  const errors: Partial<Record<'vins' | 'from' | 'to' | 'locationDecimals', MessageKey>> = {};
  if (values.vins.length === 0) errors.vins = 'exports.errorVins';
  const { since, until } = dateRange(values.from, values.to, timeZone);
  if (!since) errors.from = 'validation.required';
  if (!until) errors.to = 'validation.required';
  if (since && until) {
    const span = Date.parse(until) - Date.parse(since);
    if (span <= 0) errors.to = 'exports.errorOrder';
    else if (span > MAX_RANGE_MS) errors.to = 'exports.errorLong';
  }
  const decimals = Number(values.locationDecimals);
  if (!/^[0-3]$/.test(values.locationDecimals)) errors.locationDecimals = 'exports.errorDecimals';
  if (Object.keys(errors).length > 0 || !since || !until) return { input: null, errors };
  return {
    input: {
      dataset: values.dataset,
      format: values.format,
      vins: values.vins,
      since,
      until,
      redaction: {
        maskVin: values.maskVin,
        locationDecimals: decimals,
        dropLocations: values.dropLocations,
        dropAddresses: values.dropAddresses,
      },
    },
    errors,
  };
}
