import { useMemo, useRef, useState, type FormEvent } from 'react';
import { useT } from '../lib/context';
import { buildHelixInput, helixFields, initialHelixValues, inputProblems, type HelixField, type HelixValues } from '../lib/helixForm';
import { Button } from '../ui/Button';
import { Field, inputClass, type FieldRenderProps } from '../ui/Field';
import { TristateSelect } from '../ui/TristateSelect';
import { HelixAnswer } from './HelixAnswer';
import type { AvailableFeature } from './queries';
import { useHelixRun } from './useHelixRun';

export interface VehicleChoice {
  vin: string;
  displayName?: string | null;
}

function Control({
  field,
  value,
  set,
  props,
  vehicles,
}: {
  field: HelixField;
  value: string | boolean | undefined;
  set: (value: string | boolean) => void;
  props: FieldRenderProps;
  vehicles?: readonly VehicleChoice[];
}) {
  const t = useT();
  const text = typeof value === 'string' ? value : '';
  if (field.name === 'vin' && vehicles && vehicles.length > 0 && field.control === 'text') {
    return (
      <select {...props} className={inputClass} value={text} onChange={(e) => set(e.target.value)}>
        <option value="">{field.required ? t('commands.chooseOption') : t('helix.anyVehicle')}</option>
        {vehicles.map((v) => (
          <option key={v.vin} value={v.vin}>
            {v.displayName ? `${v.displayName} (${v.vin})` : v.vin}
          </option>
        ))}
      </select>
    );
  }
  switch (field.control) {
    case 'checkbox':
      return <input {...props} type="checkbox" className="h-4 w-4" checked={value === true} onChange={(e) => set(e.target.checked)} />;
    case 'tristate':
      return <TristateSelect {...props} value={text} onChange={set} />;
    case 'select':
      return (
        <select {...props} className={inputClass} value={text} onChange={(e) => set(e.target.value)}>
          <option value="">{field.required ? t('commands.chooseOption') : t('commands.notSet')}</option>
          {field.choices.map((c, i) => (
            <option key={i} value={String(i)}>
              {String(c)}
            </option>
          ))}
        </select>
      );
    case 'textarea':
    case 'json':
      return (
        <textarea
          {...props}
          rows={field.control === 'json' ? 4 : 3}
          spellCheck={field.control !== 'json'}
          className={`${inputClass} ${field.control === 'json' ? 'font-mono text-xs' : ''}`}
          value={text}
          onChange={(e) => set(e.target.value)}
        />
      );
    case 'number':
      return (
        <input
          {...props}
          type="text"
          inputMode={field.integer ? 'numeric' : 'decimal'}
          className={inputClass}
          value={text}
          onChange={(e) => set(e.target.value)}
        />
      );
    default:
      return <input {...props} type="text" autoComplete="off" className={inputClass} value={text} onChange={(e) => set(e.target.value)} />;
  }
}

function hintOf(field: HelixField, t: ReturnType<typeof useT>): string | undefined {
  const parts: string[] = [];
  if (field.description) parts.push(field.description);
  if (field.control === 'list') parts.push(t('helix.listHint'));
  if (field.control === 'json') parts.push(t('helix.jsonHint'));
  if (field.control === 'number' && field.minimum !== null && field.maximum !== null) parts.push(t('commands.allowedRange', { min: field.minimum, max: field.maximum }));
  else if (field.control === 'number' && field.minimum !== null) parts.push(t('commands.allowedMin', { min: field.minimum }));
  return parts.length ? parts.join(' ') : undefined;
}

/**
 * A feature's form (generated from its input schema; `fixed` values, such as the page's VIN and drive,
 * are sent as they are and not asked for) with its run button and the answer below.
 */
export function FeatureRunner({
  feature,
  fixed = {},
  actionLabel,
  vehicles,
}: {
  feature: AvailableFeature;
  fixed?: Record<string, unknown>;
  actionLabel?: string;
  vehicles?: readonly VehicleChoice[];
}) {
  const t = useT();
  const fields = useMemo(() => helixFields(feature.inputSchema).filter((f) => !(f.name in fixed)), [feature.inputSchema, fixed]);
  const [values, setValues] = useState<HelixValues>(() => initialHelixValues(fields));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const state = useHelixRun(feature.name, feature.streams);
  const form = useRef<HTMLFormElement>(null);
  const vin = typeof fixed.vin === 'string' ? fixed.vin : typeof values.vin === 'string' && values.vin ? values.vin : undefined;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const built = buildHelixInput(fields, values, fixed);
    const found = Object.fromEntries(Object.entries(built.errors).map(([k, e]) => [k, t(e.key, e.params)]));
    setErrors(found);
    if (Object.keys(found).length) {
      setTimeout(() => form.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus(), 0);
      return;
    }
    await state.run(built.input);
  };
  // the API's BAD_INPUT names fields: shown beside them too
  const apiErrors = state.unavailable?.code === 'BAD_INPUT' ? inputProblems(state.unavailable.message, fields).fields : {};

  return (
    <div className="space-y-3" data-feature={feature.name}>
      <form ref={form} onSubmit={submit} noValidate className="space-y-3" aria-label={feature.title}>
        {fields.map((field) => {
          const label = field.label;
          const error = errors[field.name] ?? apiErrors[field.name] ?? null;
          const key = field.name;
          const set = (v: string | boolean) => setValues((current) => ({ ...current, [key]: v }));
          return (
            <Field
              key={key}
              label={label}
              error={error}
              required={field.required}
              note={field.required || field.control === 'checkbox' ? undefined : t('notifications.optional')}
              hint={hintOf(field, t)}
              inline={field.control === 'checkbox'}
            >
              {(props) => <Control field={field} value={values[key]} set={set} props={{ ...props }} vehicles={vehicles} />}
            </Field>
          );
        })}
        <Button type="submit" variant={fields.length ? 'primary' : 'secondary'} busy={state.busy}>
          {actionLabel ?? t('helix.run')}
        </Button>
      </form>
      <HelixAnswer state={state} vin={vin} />
    </div>
  );
}
