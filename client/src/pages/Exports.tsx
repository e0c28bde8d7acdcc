import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useMutation, useQuery, useSubscription } from 'urql';
import { graphql } from '../gql';
import type { BaseKey, MessageKey } from '../i18n/en';
import { useFormat, useSettings, useT } from '../lib/context';
import { buildExportInput, DATASETS, defaultExportValues, FORMATS, type Dataset, type ExportFormValues, type Format } from '../lib/exportForm';
import { localDate } from '../lib/paging';
import { ApiError } from '../ui/ApiError';
import { Badge, type Tone } from '../ui/Badge';
import { Button } from '../ui/Button';
import { Card } from '../ui/Card';
import { Field, inputClass } from '../ui/Field';
import { PageHeader } from '../ui/Layout';
import { Loading, Notice } from '../ui/Notice';

const ExportsQuery = graphql(`
  query ExportsPage {
    vehicles {
      vin
      displayName
    }
    exports(first: 10) {
      edges {
        node {
          id
          status
          dataset
          format
          rows
          bytes
          createdAt
          downloadUrl
        }
      }
    }
  }
`);

const CreateExportMutation = graphql(`
  mutation CreateExport($input: ExportInput!) {
    createExport(input: $input) {
      export {
        id
        status
      }
      errors {
        ...MutationProblemFields
      }
    }
  }
`);

const ProgressSubscription = graphql(`
  subscription ExportProgress($id: ID!) {
    exportProgress(id: $id) {
      id
      status
      dataset
      format
      rows
      bytes
      error
      downloadUrl
    }
  }
`);

const STATUS_TONE: Record<string, Tone> = { QUEUED: 'neutral', RUNNING: 'info', DONE: 'success', FAILED: 'danger', EXPIRED: 'warning' };

function Progress({ id }: { id: string }) {
  const t = useT();
  const { settings } = useSettings();
  const [{ data, error }] = useSubscription({ query: ProgressSubscription, variables: { id } });
  const current = data?.exportProgress;
  return (
    <Card title={t('exports.progress')}>
      {error && <ApiError error={error} />}
      {!current && !error && <Loading label={t('exports.waiting')} />}
      {current && (
        <div className="space-y-2" data-testid="export-progress" data-status={current.status}>
          <p className="flex flex-wrap items-center gap-2" role="status">
            <Badge tone={STATUS_TONE[current.status] ?? 'neutral'}>{t(`exportStatus.${current.status}` as BaseKey)}</Badge>
            <span>{t('exports.rows', { count: current.rows })}</span>
            {current.bytes != null && <span>· {new Intl.NumberFormat(settings.locale, { style: 'unit', unit: 'kilobyte', maximumFractionDigits: 1 }).format(current.bytes / 1000)}</span>}
          </p>
          {current.error && <Notice tone="error">{current.error}</Notice>}
          {current.downloadUrl && (
            <a href={current.downloadUrl} className="inline-block font-semibold text-blue-800 underline dark:text-blue-300" download>
              {t('exports.download', { format: current.format })}
            </a>
          )}
        </div>
      )}
    </Card>
  );
}

export default function Exports() {
  const t = useT();
  const format = useFormat();
  const { settings } = useSettings();
  const [{ data, fetching, error }, refetch] = useQuery({ query: ExportsQuery });
  const [values, setValues] = useState<ExportFormValues | null>(null);
  const [errors, setErrors] = useState<Partial<Record<string, MessageKey>>>({});
  const [apiProblems, setApiProblems] = useState<string[]>([]);
  const [created, setCreated] = useState<string | null>(null);
  const [createState, create] = useMutation(CreateExportMutation);
  const progressRef = useRef<HTMLDivElement>(null);

  // the form starts once the vehicles are known: all of them, the last 30 days
  useEffect(() => {
    if (data && !values) {
      const now = new Date();
      setValues(defaultExportValues(data.vehicles.map((v) => v.vin), localDate(now, settings.timeZone, 30), localDate(now, settings.timeZone)));
    }
  }, [data, values, settings.timeZone]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!values) return;
    const { input, errors: found } = buildExportInput(values, settings.timeZone);
    setErrors(found);
    setApiProblems([]);
    if (!input) return;
    const result = await create({ input });
    const payload = result.data?.createExport;
    if (payload?.errors.length) {
      setApiProblems(payload.errors.map((e) => ('field' in e && e.field ? `${e.field}: ${e.message}` : e.message)));
      return;
    }
    if (payload?.export) {
      setCreated(payload.export.id);
      refetch({ requestPolicy: 'network-only' });
      setTimeout(() => progressRef.current?.focus(), 0);
    }
  };
  const set = (patch: Partial<ExportFormValues>) => values && setValues({ ...values, ...patch });
  const err = (name: string) => (errors[name] ? t(errors[name] as MessageKey) : null);

  return (
    <>
      <PageHeader title={t('exports.title')} />
      {error && <ApiError error={error} retry={() => refetch({ requestPolicy: 'network-only' })} />}
      {!data && fetching && <Loading label={t('app.loading')} />}
      <div className="grid gap-4 lg:grid-cols-2">
        {values && data && (
          <Card title={t('exports.new')}>
            <form onSubmit={submit} noValidate className="space-y-4">
              <div className="grid gap-4 sm:grid-cols-2">
                <Field label={t('exports.dataset')}>
                  {(props) => (
                    <select {...props} className={inputClass} value={values.dataset} onChange={(e) => set({ dataset: e.target.value as Dataset })}>
                      {DATASETS.map((d) => (
                        <option key={d} value={d}>
                          {t(`exportDataset.${d}` as BaseKey)}
                        </option>
                      ))}
                    </select>
                  )}
                </Field>
                <Field label={t('exports.format')}>
                  {(props) => (
                    <select {...props} className={inputClass} value={values.format} onChange={(e) => set({ format: e.target.value as Format })}>
                      {FORMATS.map((f) => (
                        <option key={f} value={f}>
                          {t(`exportFormat.${f}` as BaseKey)}
                        </option>
                      ))}
                    </select>
                  )}
                </Field>
                <Field label={t('filter.from')} error={err('from')} required>
                  {(props) => <input {...props} type="date" className={inputClass} value={values.from} onChange={(e) => set({ from: e.target.value })} />}
                </Field>
                <Field label={t('filter.to')} error={err('to')} required>
                  {(props) => <input {...props} type="date" className={inputClass} value={values.to} onChange={(e) => set({ to: e.target.value })} />}
                </Field>
              </div>
              <fieldset className="space-y-2" aria-describedby={errors.vins ? 'vins-error' : undefined}>
                <legend className="text-sm font-medium">{t('exports.vehicles')}</legend>
                {data.vehicles.map((v) => (
                  <Field key={v.vin} label={v.displayName || v.vin} inline>
                    {(props) => (
                      <input
                        {...props}
                        type="checkbox"
                        className="h-4 w-4"
                        checked={values.vins.includes(v.vin)}
                        onChange={(e) => set({ vins: e.target.checked ? [...values.vins, v.vin] : values.vins.filter((x) => x !== v.vin) })}
                      />
                    )}
                  </Field>
                ))}
                {errors.vins && (
                  <p id="vins-error" className="text-sm font-medium text-red-700 dark:text-red-400">
                    {t(errors.vins)}
                  </p>
                )}
              </fieldset>
              <fieldset className="space-y-2">
                <legend className="text-sm font-medium">{t('exports.redaction')}</legend>
                <Field label={t('exports.maskVin')} inline>
                  {(props) => <input {...props} type="checkbox" className="h-4 w-4" checked={values.maskVin} onChange={(e) => set({ maskVin: e.target.checked })} />}
                </Field>
                <Field label={t('exports.dropLocations')} inline>
                  {(props) => <input {...props} type="checkbox" className="h-4 w-4" checked={values.dropLocations} onChange={(e) => set({ dropLocations: e.target.checked })} />}
                </Field>
                <Field label={t('exports.dropAddresses')} inline>
                  {(props) => <input {...props} type="checkbox" className="h-4 w-4" checked={values.dropAddresses} onChange={(e) => set({ dropAddresses: e.target.checked })} />}
                </Field>
                <Field label={t('exports.locationDecimals')} hint={t('exports.locationDecimalsHint')} error={err('locationDecimals')}>
                  {(props) => (
                    <select {...props} className={`${inputClass} max-w-xs`} value={values.locationDecimals} disabled={values.dropLocations} onChange={(e) => set({ locationDecimals: e.target.value })}>
                      {['0', '1', '2', '3'].map((d) => (
                        <option key={d} value={d}>
                          {d}
                        </option>
                      ))}
                    </select>
                  )}
                </Field>
              </fieldset>
              {apiProblems.length > 0 && (
                <Notice tone="error" title={t('exports.refused')}>
                  <ul>
                    {apiProblems.map((p) => (
                      <li key={p}>{p}</li>
                    ))}
                  </ul>
                </Notice>
              )}
              {createState.error && <ApiError error={createState.error} />}
              <Button type="submit" busy={createState.fetching}>
                {t('exports.create')}
              </Button>
            </form>
          </Card>
        )}
        <div ref={progressRef} tabIndex={-1} className="space-y-4 outline-none">
          {created && <Progress id={created} />}
          {data && (
            <Card title={t('exports.recent')}>
              {data.exports.edges.length === 0 && <p className="text-sm">{t('exports.none')}</p>}
              <ul className="space-y-2 text-sm">
                {data.exports.edges.map(({ node }) => (
                  <li key={node.id} className="flex flex-wrap items-center gap-2">
                    <Badge tone={STATUS_TONE[node.status] ?? 'neutral'}>{t(`exportStatus.${node.status}` as BaseKey)}</Badge>
                    <span>
                      {t(`exportDataset.${node.dataset}` as BaseKey)} · {node.format} · <time dateTime={node.createdAt}>{format.dateTime(node.createdAt)}</time>
                    </span>
                    {node.downloadUrl && (
                      <a href={node.downloadUrl} className="underline" download>
                        {t('exports.downloadShort')}
                      </a>
                    )}
                  </li>
                ))}
              </ul>
            </Card>
          )}
        </div>
      </div>
    </>
  );
}
