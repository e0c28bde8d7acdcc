import type { FormEvent } from 'react';
import { useMutation } from 'urql';
import { graphql } from '../../gql';
import { useSettings, useT } from '../../lib/context';
import { formatCoordinates, formatQuantity } from '../../lib/format';
import type { LatLon } from '../../lib/geo';
import { buildGeofenceInput, GEOFENCE_KEYS, MAX_RADIUS_M, positionValues, type GeofenceValues } from '../../lib/geofenceForm';
import { localMessages } from '../../lib/problems';
import { useActionProblems, useFormProblems } from '../../lib/useFormProblems';
import { Button } from '../../ui/Button';
import { Field, inputClass } from '../../ui/Field';
import { ConfirmButton } from '../../ui/ConfirmDialog';
import { ActionProblems, FormProblems } from '../../ui/FormProblems';

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
        ...MutationProblemFields
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
        ...MutationProblemFields
      }
    }
  }
`);

const DeleteGeofenceMutation = graphql(`
  mutation DeleteGeofence($id: ID!) {
    deleteGeofence(id: $id) {
      repricedSessions
      errors {
        ...MutationProblemFields
      }
    }
  }
`);
/** "Saved “Home”. 2 charging sessions priced again." */
export function doneMessage(t: ReturnType<typeof useT>, done: 'places.saved' | 'places.deleted', name: string, repriced: number): string {
  const text = t(done, { name });
  return repriced > 0 ? `${text} ${t('places.repriced', { count: repriced })}` : text;
}

/** A listed place's or tariff's edit and delete buttons (administrators'); `question` is the delete dialog's. */
export function EditDeleteButtons({
  name,
  question,
  busy,
  onEdit,
  onDelete,
}: {
  name: string;
  question: string;
  busy: boolean;
  onEdit: () => void;
  onDelete: () => Promise<void>;
}) {
  const t = useT();
  return (
    <div className="flex flex-wrap gap-1">
      <Button variant="ghost" className="min-h-8 px-2 py-1" aria-label={t('places.editNamed', { name })} onClick={onEdit}>
        {t('places.edit')}
      </Button>
      <ConfirmButton
        label={t('places.delete')}
        accessibleLabel={t('places.deleteNamed', { name })}
        title={question}
        confirmLabel={t('places.confirm')}
        cancelLabel={t('places.cancel')}
        busy={busy}
        onConfirm={onDelete}
      />
    </div>
  );
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
  const { form, errors, other, failure, clear, check, answer } = useFormProblems();
  const [createState, create] = useMutation(CreateGeofenceMutation);
  const [updateState, update] = useMutation(UpdateGeofenceMutation);
  const set = (patch: Partial<GeofenceValues>) => onChange({ ...values, ...patch });
  const state = editing ? updateState : createState;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    clear();
    const built = buildGeofenceInput(values);
    if (!check(localMessages(built.errors, t), built.input !== null) || !built.input) return;
    const payload = editing
      ? answer(await update({ id: editing.id, input: built.input }), (data) => data.updateGeofence, GEOFENCE_KEYS)
      : answer(await create({ input: built.input }), (data) => data.createGeofence, GEOFENCE_KEYS);
    if (payload) onSaved(doneMessage(t, 'places.saved', payload.geofence?.name ?? built.input.name, payload.repricedSessions));
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
      <FormProblems title={t('places.refused')} other={other} failure={failure} />
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
  const problems = useActionProblems();
  if (geofences.length === 0) return <p className="text-sm text-slate-600 dark:text-slate-400">{t('places.none')}</p>;
  return (
    <>
      <ActionProblems problem={problems.problem} failure={problems.failure} />
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
              <EditDeleteButtons
                name={fence.name}
                question={t('places.deleteQuestion', { name: fence.name })}
                busy={deleteState.fetching}
                onEdit={() => onEdit(fence)}
                onDelete={async () => {
                  problems.clear();
                  const payload = problems.settle(await remove({ id: fence.id }), (data) => data.deleteGeofence);
                  if (payload) onDeleted(doneMessage(t, 'places.deleted', fence.name, payload.repricedSessions));
                }}
              />
            )}
          </li>
        ))}
      </ul>
    </>
  );
}
