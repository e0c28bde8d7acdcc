import { useRef, useState, type FormEvent } from 'react';
import { useMutation } from 'urql';
import { graphql } from '../../gql';
import type { MessageKey } from '../../i18n/en';
import { useSettings, useT } from '../../lib/context';
import { formatCoordinates, formatQuantity } from '../../lib/format';
import type { LatLon } from '../../lib/geo';
import { buildGeofenceInput, GEOFENCE_KEYS, MAX_RADIUS_M, positionValues, type GeofenceValues } from '../../lib/geofenceForm';
import { splitProblems } from '../../lib/problems';
import { ApiError } from '../../ui/ApiError';
import { Button } from '../../ui/Button';
import { ConfirmAction } from '../../ui/ConfirmAction';
import { Field, inputClass } from '../../ui/Field';
import { Notice } from '../../ui/Notice';

export interface Geofence {
  id: string;
  name: string;
  latitude: number;
  longitude: number;
  radiusM: number;
  tariff?: { id: string; name: string; currency: string } | null;
}

export interface TariffChoice {
  id: string;
  name: string;
  currency: string;
}

const CreateGeofenceMutation = graphql(`
  mutation CreateGeofence($input: GeofenceInput!) {
    createGeofence(input: $input) {
      geofence {
        id
        name
      }
      repricedSessions
      errors {
        __typename
        ... on InvalidInput {
          field
          message
        }
        ... on NotFoundProblem {
          field
          message
        }
      }
    }
  }
`);

const UpdateGeofenceMutation = graphql(`
  mutation UpdateGeofence($id: ID!, $input: GeofenceInput!) {
    updateGeofence(id: $id, input: $input) {
      geofence {
        id
        name
      }
      repricedSessions
      errors {
        __typename
        ... on InvalidInput {
          field
          message
        }
        ... on NotFoundProblem {
          field
          message
        }
      }
    }
  }
`);

const DeleteGeofenceMutation = graphql(`
  mutation DeleteGeofence($id: ID!) {
    deleteGeofence(id: $id) {
      repricedSessions
      errors {
        __typename
        ... on InvalidInput {
          field
          message
        }
        ... on NotFoundProblem {
          field
          message
        }
      }
    }
  }
`);
/** "Saved “Home”. 2 charging sessions priced again." */
export function doneMessage(t: ReturnType<typeof useT>, done: 'places.saved' | 'places.deleted', name: string, repriced: number): string {
  const text = t(done, { name });
  return repriced > 0 ? `${text} ${t('places.repriced', { count: repriced })}` : text;
}

/** The form of a new or an edited geofence. Its centre also comes from a click on the map (the page's). */
export function GeofenceForm({
  values,
  onChange,
  editing,
  tariffs,
  mapCenter,
  onSaved,
  onCancel,
}: {
  values: GeofenceValues;
  onChange: (values: GeofenceValues) => void;
  editing: Geofence | null;
  tariffs: readonly TariffChoice[];
  mapCenter: LatLon | null;
  onSaved: (message: string) => void;
  onCancel: () => void;
}) {
  const t = useT();
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [other, setOther] = useState<string[]>([]);
  const [createState, create] = useMutation(CreateGeofenceMutation);
  const [updateState, update] = useMutation(UpdateGeofenceMutation);
  const form = useRef<HTMLFormElement>(null);
  const set = (patch: Partial<GeofenceValues>) => onChange({ ...values, ...patch });
  const focusFirstError = () => setTimeout(() => form.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus(), 0);
  const state = editing ? updateState : createState;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setOther([]);
    const built = buildGeofenceInput(values);
    setErrors(Object.fromEntries(Object.entries(built.errors).map(([k, e]) => [k, t(e.key as MessageKey, e.params)])));
    if (!built.input) {
      focusFirstError();
      return;
    }
    const result = editing ? await update({ id: editing.id, input: built.input }) : await create({ input: built.input });
    const payload = result.data ? ('updateGeofence' in result.data ? result.data.updateGeofence : result.data.createGeofence) : null;
    if (!payload) return;
    if (payload.errors.length) {
      const split = splitProblems(payload.errors, GEOFENCE_KEYS);
      setErrors(split.fields);
      setOther(split.other);
      focusFirstError();
      return;
    }
    setErrors({});
    onSaved(doneMessage(t, 'places.saved', payload.geofence?.name ?? built.input.name, payload.repricedSessions));
  };

  const title = editing ? t('places.editTitle', { name: editing.name }) : t('places.newTitle');
  return (
    <form ref={form} onSubmit={submit} noValidate aria-label={title} className="space-y-4">
      <h2 className="text-base font-semibold">{title}</h2>
      <p className="text-sm text-slate-600 dark:text-slate-400">{t('places.pickHint')}</p>
      <Field label={t('places.name')} error={errors.name} required>
        {(props) => <input {...props} className={inputClass} value={values.name} autoComplete="off" onChange={(e) => set({ name: e.target.value })} />}
      </Field>
      <fieldset className="space-y-2">
        <legend className="text-sm font-medium">{t('places.centre')}</legend>
        <div className="grid grid-cols-2 gap-3">
          <Field label={t('places.latitude')} error={errors.latitude} required>
            {(props) => (
              <input {...props} className={inputClass} inputMode="decimal" autoComplete="off" placeholder="52.52" value={values.latitude} onChange={(e) => set({ latitude: e.target.value })} />
            )}
          </Field>
          <Field label={t('places.longitude')} error={errors.longitude} required>
            {(props) => (
              <input {...props} className={inputClass} inputMode="decimal" autoComplete="off" placeholder="13.405" value={values.longitude} onChange={(e) => set({ longitude: e.target.value })} />
            )}
          </Field>
        </div>
        <Button variant="secondary" className="min-h-8 px-3 py-1" disabled={!mapCenter} onClick={() => mapCenter && set(positionValues(mapCenter))}>
          {t('places.useCentre')}
        </Button>
      </fieldset>
      <Field label={t('places.radius')} error={errors.radiusM} hint={t('places.radiusHint', { max: MAX_RADIUS_M })} required>
        {(props) => (
          <input {...props} type="number" min={1} max={MAX_RADIUS_M} step="any" className={`${inputClass} max-w-40`} value={values.radiusM} onChange={(e) => set({ radiusM: e.target.value })} />
        )}
      </Field>
      <Field label={t('places.tariff')} error={errors.tariffId}>
        {(props) => (
          <select {...props} className={inputClass} value={values.tariffId} onChange={(e) => set({ tariffId: e.target.value })}>
            <option value="">{t('places.noTariff')}</option>
            {tariffs.map((tariff) => (
              <option key={tariff.id} value={tariff.id}>
                {tariff.name} ({tariff.currency})
              </option>
            ))}
          </select>
        )}
      </Field>
      {other.length > 0 && (
        <Notice tone="error" title={t('places.refused')}>
          <ul>
            {other.map((p) => (
              <li key={p}>{p}</li>
            ))}
          </ul>
        </Notice>
      )}
      {state.error && <ApiError error={state.error} />}
      <div className="flex flex-wrap gap-2">
        <Button type="submit" busy={state.fetching}>
          {editing ? t('places.save') : t('places.create')}
        </Button>
        {(editing || values.name || values.latitude) && (
          <Button variant="ghost" onClick={onCancel}>
            {editing ? t('places.cancelEdit') : t('places.clear')}
          </Button>
        )}
      </div>
    </form>
  );
}

/** The stored geofences as a list: what each is, with edit and delete for administrators. */
export function GeofenceList({
  geofences,
  canEdit,
  editingId,
  onEdit,
  onDeleted,
}: {
  geofences: readonly Geofence[];
  canEdit: boolean;
  editingId: string | null;
  onEdit: (fence: Geofence) => void;
  onDeleted: (message: string) => void;
}) {
  const t = useT();
  const { settings } = useSettings();
  const [deleteState, remove] = useMutation(DeleteGeofenceMutation);
  const [problem, setProblem] = useState<string | null>(null);
  if (geofences.length === 0) return <p className="text-sm text-slate-600 dark:text-slate-400">{t('places.none')}</p>;
  return (
    <>
      {deleteState.error && <ApiError error={deleteState.error} />}
      {problem && <Notice tone="error">{problem}</Notice>}
      <ul className="divide-y divide-slate-200 dark:divide-slate-800">
        {geofences.map((fence) => (
          <li key={fence.id} data-geofence-id={fence.id} className="flex flex-wrap items-start justify-between gap-2 py-3 first:pt-0 last:pb-0">
            <div className="min-w-0">
              <h3 className="font-semibold">
                {fence.name}
                {editingId === fence.id && <span className="ml-2 text-xs font-normal text-orange-700 dark:text-orange-400">{t('places.editing')}</span>}
              </h3>
              <p className="text-sm text-slate-600 dark:text-slate-400">
                {t('places.radiusValue', { radius: formatQuantity(fence.radiusM, 'm', settings.locale, 0) })} ·{' '}
                {formatCoordinates(fence.latitude, fence.longitude, settings.locale)}
              </p>
              <p className="text-sm">{fence.tariff ? t('places.tariffValue', { name: fence.tariff.name }) : t('places.noTariff')}</p>
            </div>
            {canEdit && (
              <div className="flex flex-wrap gap-1">
                <Button variant="ghost" className="min-h-8 px-2 py-1" aria-label={t('places.editNamed', { name: fence.name })} onClick={() => onEdit(fence)}>
                  {t('places.edit')}
                </Button>
                <ConfirmAction
                  label={t('places.delete')}
                  accessibleLabel={t('places.deleteNamed', { name: fence.name })}
                  question={t('places.deleteQuestion', { name: fence.name })}
                  confirmLabel={t('places.confirm')}
                  cancelLabel={t('places.cancel')}
                  busy={deleteState.fetching}
                  onConfirm={async () => {
                    setProblem(null);
                    const result = await remove({ id: fence.id });
                    const payload = result.data?.deleteGeofence;
                    if (!payload) return;
                    if (payload.errors.length) setProblem(payload.errors.map((e) => e.message).join('; '));
                    else onDeleted(doneMessage(t, 'places.deleted', fence.name, payload.repricedSessions));
                  }}
                />
              </div>
            )}
          </li>
        ))}
      </ul>
    </>
  );
}
