import { useMemo, useState, type FormEvent } from 'react';
import { useMutation } from 'urql';
import { graphql } from '../../gql';
import { useFormat, useSettings, useT } from '../../lib/context';
import { localMessages } from '../../lib/problems';
import { useActionProblems, useFormProblems } from '../../lib/useFormProblems';
import {
  buildTariffInput,
  emptyTariffValues,
  emptyWindowValues,
  tariffFormKeys,
  tariffValues,
  WEEKDAYS,
  weekdayName,
  weekdaysText,
  type TariffShape,
  type TariffValues,
  type WindowValues,
} from '../../lib/tariffForm';
import { Badge } from '../../ui/Badge';
import { Button } from '../../ui/Button';
import { Field, inputClass } from '../../ui/Field';
import { ActionProblems, FormProblems } from '../../ui/FormProblems';
import { doneMessage, EditDeleteButtons } from './GeofenceEditor';

export interface Tariff extends TariffShape {
  id: string;
}

const CreateTariffMutation = graphql(`
  mutation CreateTariff($input: TariffInput!) {
    createTariff(input: $input) {
      tariff {
        id
        name
      }
      repricedSessions
      errors {
        ...MutationProblemFields
      }
    }
  }
`);

const UpdateTariffMutation = graphql(`
  mutation UpdateTariff($id: ID!, $input: TariffInput!) {
    updateTariff(id: $id, input: $input) {
      tariff {
        id
        name
      }
      repricedSessions
      errors {
        ...MutationProblemFields
      }
    }
  }
`);

const DeleteTariffMutation = graphql(`
  mutation DeleteTariff($id: ID!) {
    deleteTariff(id: $id) {
      repricedSessions
      errors {
        ...MutationProblemFields
      }
    }
  }
`);

/** A tariff's prices as short lines: "€0.32/kWh", "Mon–Fri 22:00–06:00: €0.18/kWh", "Session fee €1.00". */
function useTariffSummary() {
  const t = useT();
  const format = useFormat();
  const { settings } = useSettings();
  return (tariff: TariffShape): string[] => {
    const money = (amount: string) => format.money(amount, tariff.currency) ?? amount;
    const prices = (kwh: string | null | undefined, minute: string | null | undefined) =>
      [kwh != null ? t('tariffs.perKwh', { price: money(kwh) }) : null, minute != null ? t('tariffs.perMinute', { price: money(minute) }) : null]
        .filter(Boolean)
        .join(', ');
    const lines: string[] = [];
    const base = prices(tariff.pricePerKwh, tariff.pricePerMinute);
    if (base) lines.push(t('tariffs.base', { prices: base }));
    for (const w of tariff.windows) {
      lines.push(t('tariffs.windowSummary', { days: weekdaysText(w.weekdays, settings.locale), start: w.start, end: w.end, prices: prices(w.pricePerKwh, w.pricePerMinute) }));
    }
    if (tariff.sessionFee != null) lines.push(t('tariffs.feeSummary', { price: money(tariff.sessionFee) }));
    return lines;
  };
}

/** Every tariff: its prices as text, with edit and delete for administrators. */
export function TariffList({
  tariffs,
  canEdit,
  editingId,
  onEdit,
  onDeleted,
}: {
  tariffs: readonly Tariff[];
  canEdit: boolean;
  editingId: string | null;
  onEdit: (tariff: Tariff) => void;
  onDeleted: (message: string) => void;
}) {
  const t = useT();
  const summary = useTariffSummary();
  const [deleteState, remove] = useMutation(DeleteTariffMutation);
  const problems = useActionProblems();
  if (tariffs.length === 0) return <p className="text-sm text-slate-600 dark:text-slate-400">{t('tariffs.none')}</p>;
  return (
    <>
      <ActionProblems problem={problems.problem} failure={problems.failure} />
      <ul className="divide-y divide-slate-200 dark:divide-slate-800">
        {tariffs.map((tariff) => (
          <li key={tariff.id} data-tariff-id={tariff.id} className="flex flex-wrap items-start justify-between gap-2 py-3 first:pt-0 last:pb-0">
            <div className="min-w-0">
              <h3 className="flex flex-wrap items-center gap-2 font-semibold">
                {tariff.name}
                <Badge>{tariff.currency}</Badge>
                {tariff.freeSupercharging && <Badge tone="success">{t('tariffs.freeSuperchargingShort')}</Badge>}
                {editingId === tariff.id && <span className="text-xs font-normal text-orange-700 dark:text-orange-400">{t('places.editing')}</span>}
              </h3>
              <ul className="text-sm text-slate-700 dark:text-slate-300">
                {summary(tariff).map((line) => (
                  <li key={line}>{line}</li>
                ))}
              </ul>
              <p className="text-xs text-slate-600 dark:text-slate-400">{t('tariffs.zoneValue', { zone: tariff.timezone })}</p>
            </div>
            {canEdit && (
              <EditDeleteButtons
                name={tariff.name}
                question={t('tariffs.deleteQuestion', { name: tariff.name })}
                busy={deleteState.fetching}
                onEdit={() => onEdit(tariff)}
                onDelete={async () => {
                  problems.clear();
                  const payload = problems.settle(await remove({ id: tariff.id }), (data) => data.deleteTariff);
                  if (payload) onDeleted(doneMessage(t, 'places.deleted', tariff.name, payload.repricedSessions));
                }}
              />
            )}
          </li>
        ))}
      </ul>
    </>
  );
}

/** One time-of-use window of the form: days, local start and end, its prices. */
function WindowFields({
  index,
  value,
  errors,
  onChange,
  onRemove,
}: {
  index: number;
  value: WindowValues;
  errors: Record<string, string>;
  onChange: (value: WindowValues) => void;
  onRemove: () => void;
}) {
  const t = useT();
  const { settings } = useSettings();
  const at = `windows[${index}]`;
  const whole = errors[at];
  const daysError = errors[`${at}.weekdays`];
  const errorId = `tariff-window-${index}-error`;
  const daysErrorId = `tariff-window-${index}-days-error`;
  const set = (patch: Partial<WindowValues>) => onChange({ ...value, ...patch });
  return (
    <fieldset
      className="space-y-3 rounded-md border border-slate-300 p-3 dark:border-slate-700"
      aria-describedby={whole ? errorId : undefined}
      // a problem of the whole window (overlapping another): focus lands here, and its error is read with it
      data-invalid={whole ? true : undefined}
      tabIndex={whole ? -1 : undefined}
      data-window={index}
    >
      <legend className="px-1 text-sm font-semibold">{t('tariffs.window', { number: index + 1 })}</legend>
      {whole && (
        <p id={errorId} className="text-sm font-medium text-red-700 dark:text-red-400">
          {whole}
        </p>
      )}
      <fieldset aria-describedby={daysError ? daysErrorId : undefined}>
        <legend className="text-sm font-medium">{t('tariffs.days')}</legend>
        <div className="mt-1 flex flex-wrap gap-x-3 gap-y-1">
          {WEEKDAYS.map((day) => (
            <label key={day} className="flex items-center gap-1 text-sm">
              <input
                type="checkbox"
                className="h-4 w-4"
                aria-invalid={daysError ? true : undefined}
                checked={value.weekdays.includes(day)}
                onChange={(e) => set({ weekdays: e.target.checked ? [...value.weekdays, day] : value.weekdays.filter((d) => d !== day) })}
              />
              <span aria-hidden="true">{weekdayName(day, settings.locale)}</span>
              <span className="sr-only">{weekdayName(day, settings.locale, 'long')}</span>
            </label>
          ))}
        </div>
        {daysError && (
          <p id={daysErrorId} className="mt-1 text-sm font-medium text-red-700 dark:text-red-400">
            {daysError}
          </p>
        )}
      </fieldset>
      <div className="grid grid-cols-2 gap-3">
        <Field label={t('tariffs.start')} error={errors[`${at}.start`]} required>
          {(props) => <input {...props} type="time" className={inputClass} value={value.start} onChange={(e) => set({ start: e.target.value })} />}
        </Field>
        <Field label={t('tariffs.end')} error={errors[`${at}.end`]} hint={t('tariffs.endHint')} required>
          {(props) => <input {...props} type="time" className={inputClass} value={value.end} onChange={(e) => set({ end: e.target.value })} />}
        </Field>
        <Field label={t('tariffs.pricePerKwh')} error={errors[`${at}.pricePerKwh`]} required>
          {(props) => <input {...props} inputMode="decimal" autoComplete="off" className={inputClass} value={value.pricePerKwh} onChange={(e) => set({ pricePerKwh: e.target.value })} />}
        </Field>
        <Field label={t('tariffs.pricePerMinute')} error={errors[`${at}.pricePerMinute`]} note={t('notifications.optional')}>
          {(props) => (
            <input {...props} inputMode="decimal" autoComplete="off" className={inputClass} value={value.pricePerMinute} onChange={(e) => set({ pricePerMinute: e.target.value })} />
          )}
        </Field>
      </div>
      <Button variant="ghost" className="min-h-8 px-2 py-1" onClick={onRemove}>
        {t('tariffs.removeWindow', { number: index + 1 })}
      </Button>
    </fieldset>
  );
}

/** The form of a new or an edited tariff, time-of-use windows and all, with the API's errors at their fields. */
export function TariffForm({ editing, onSaved, onCancel }: { editing: Tariff | null; onSaved: (message: string) => void; onCancel: () => void }) {
  const t = useT();
  const { settings } = useSettings();
  // a new tariff gets the user's currency and time zone; the page keys this form by the tariff it edits
  const [values, setValues] = useState<TariffValues>(() => (editing ? tariffValues(editing) : emptyTariffValues(settings.currency, settings.timeZone)));
  const { form, errors, other, failure, setErrors, clear, check, answer } = useFormProblems();
  const [createState, create] = useMutation(CreateTariffMutation);
  const [updateState, update] = useMutation(UpdateTariffMutation);
  const zones = useMemo(() => {
    try {
      return Intl.supportedValuesOf('timeZone');
    } catch {
      return [];
    }
  }, []);
  const state = editing ? updateState : createState;
  const set = (patch: Partial<TariffValues>) => setValues({ ...values, ...patch });

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    clear();
    const built = buildTariffInput(values);
    if (!check(localMessages(built.errors, t), built.input !== null) || !built.input) return;
    const keys = tariffFormKeys(values);
    const payload = editing
      ? answer(await update({ id: editing.id, input: built.input }), (data) => data.updateTariff, keys)
      : answer(await create({ input: built.input }), (data) => data.createTariff, keys);
    if (!payload) return;
    if (!editing) setValues(emptyTariffValues(settings.currency, settings.timeZone));
    onSaved(doneMessage(t, 'places.saved', payload.tariff?.name ?? built.input.name, payload.repricedSessions));
  };

  const title = editing ? t('tariffs.editTitle', { name: editing.name }) : t('tariffs.newTitle');
  return (
    <form ref={form} onSubmit={submit} noValidate aria-label={title} className="space-y-4">
      <h3 className="text-base font-semibold">{title}</h3>
      <Field label={t('tariffs.name')} error={errors.name} required>
        {(props) => <input {...props} className={inputClass} autoComplete="off" placeholder={t('tariffs.namePlaceholder')} value={values.name} onChange={(e) => set({ name: e.target.value })} />}
      </Field>
      <div className="grid gap-3 sm:grid-cols-2">
        <Field label={t('settings.currency')} error={errors.currency} required>
          {(props) => (
            <input
              {...props}
              className={`${inputClass} max-w-24 uppercase`}
              maxLength={3}
              autoComplete="off"
              value={values.currency}
              onChange={(e) => set({ currency: e.target.value.toUpperCase() })}
            />
          )}
        </Field>
        <Field label={t('tariffs.timezone')} error={errors.timezone} hint={t('tariffs.timezoneHint')} required>
          {(props) => (
            <>
              <input {...props} className={inputClass} list="tariff-zones" autoComplete="off" value={values.timezone} onChange={(e) => set({ timezone: e.target.value })} />
              <datalist id="tariff-zones">
                {zones.map((zone) => (
                  <option key={zone} value={zone} />
                ))}
              </datalist>
            </>
          )}
        </Field>
      </div>
      <div className="grid gap-3 sm:grid-cols-3">
        <Field label={t('tariffs.basePerKwh')} error={errors.pricePerKwh} note={t('notifications.optional')}>
          {(props) => <input {...props} inputMode="decimal" autoComplete="off" className={inputClass} placeholder="0.32" value={values.pricePerKwh} onChange={(e) => set({ pricePerKwh: e.target.value })} />}
        </Field>
        <Field label={t('tariffs.basePerMinute')} error={errors.pricePerMinute} note={t('notifications.optional')}>
          {(props) => <input {...props} inputMode="decimal" autoComplete="off" className={inputClass} value={values.pricePerMinute} onChange={(e) => set({ pricePerMinute: e.target.value })} />}
        </Field>
        <Field label={t('tariffs.sessionFee')} error={errors.sessionFee} note={t('notifications.optional')}>
          {(props) => <input {...props} inputMode="decimal" autoComplete="off" className={inputClass} value={values.sessionFee} onChange={(e) => set({ sessionFee: e.target.value })} />}
        </Field>
      </div>
      <Field label={t('tariffs.freeSupercharging')} error={errors.freeSupercharging} inline>
        {(props) => <input {...props} type="checkbox" className="h-4 w-4" checked={values.freeSupercharging} onChange={(e) => set({ freeSupercharging: e.target.checked })} />}
      </Field>
      <div className="space-y-3">
        <h4 className="text-sm font-semibold">{t('tariffs.windows')}</h4>
        <p className="text-xs text-slate-600 dark:text-slate-400">{t('tariffs.windowsHint')}</p>
        {values.windows.map((w, i) => (
          <WindowFields
            key={i}
            index={i}
            value={w}
            errors={errors}
            onChange={(next) => set({ windows: values.windows.map((old, j) => (j === i ? next : old)) })}
            onRemove={() => {
              set({ windows: values.windows.filter((_, j) => j !== i) });
              // the errors name windows by position: they no longer fit
              setErrors({});
            }}
          />
        ))}
        <Button variant="secondary" className="min-h-8 px-3 py-1" onClick={() => set({ windows: [...values.windows, emptyWindowValues()] })}>
          {t('tariffs.addWindow')}
        </Button>
      </div>
      <FormProblems title={t('places.refused')} other={other} failure={failure} />
      <div className="flex flex-wrap gap-2">
        <Button type="submit" busy={state.fetching}>
          {editing ? t('tariffs.save') : t('tariffs.create')}
        </Button>
        {editing && (
          <Button variant="ghost" onClick={onCancel}>
            {t('places.cancelEdit')}
          </Button>
        )}
      </div>
    </form>
  );
}
