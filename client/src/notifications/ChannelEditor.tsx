// The channel editor: a new channel of any kind (AddChannel) and a channel edited in place (EditChannel),
// both a kind's settings fields with the API's named field errors; a stored secret is never filled in and
// stays unless a new one is typed.

import { useEffect, useState, type FormEvent } from 'react';
import { useMutation } from 'urql';
import { graphql } from '../gql';
import type { BaseKey } from '../i18n/en';
import { useT } from '../lib/context';
import {
  buildChannelSettings,
  CHANNEL_FIELDS,
  CHANNEL_KINDS,
  channelFormKeys,
  channelValuesFromSettings,
  emptyChannelValues,
  type ChannelKind,
  type ChannelValues,
} from '../lib/notificationForm';
import { localMessages } from '../lib/problems';
import { useFormProblems } from '../lib/useFormProblems';
import { Button } from '../ui/Button';
import { Card } from '../ui/Card';
import { Field, inputClass } from '../ui/Field';
import { FormProblems } from '../ui/FormProblems';
import { Notice } from '../ui/Notice';

const CreateChannelMutation = graphql(`
  mutation CreateNotificationChannel($kind: NotificationChannelKind!, $name: String!, $settings: JSON!) {
    createNotificationChannel(kind: $kind, name: $name, settings: $settings) {
      channel {
        id
        name
      }
      errors {
        ...MutationProblemFields
      }
    }
  }
`);

const EditChannelMutation = graphql(`
  mutation EditNotificationChannel($id: ID!, $name: String, $settings: JSON) {
    updateNotificationChannel(id: $id, name: $name, settings: $settings) {
      channel {
        id
        name
        enabled
        settings
        secretFields
      }
      errors {
        ...MutationProblemFields
      }
    }
  }
`);

export type Channel = { id: string; kind: string; name: string; enabled: boolean; settings: unknown; secretFields: readonly string[] };

/** A kind's settings fields; editing (`storedSecrets`), a stored secret left empty stays as it is. */
function ChannelSettingsFields({
  kind,
  values,
  setValues,
  errors,
  storedSecrets,
}: {
  kind: ChannelKind;
  values: ChannelValues;
  setValues: (values: ChannelValues) => void;
  errors: Record<string, string>;
  storedSecrets?: readonly string[];
}) {
  const t = useT();
  return (
    <>
      {CHANNEL_FIELDS[kind].map((field) => {
        const key = `settings.${field.name}`;
        const label = t(`channelField.${field.name}` as BaseKey);
        const value = values[field.name];
        const set = (v: string | boolean) => setValues({ ...values, [field.name]: v });
        if (field.type === 'checkbox') {
          return (
            <Field key={key} label={label} error={errors[key]} inline>
              {(props) => <input {...props} type="checkbox" className="h-4 w-4" checked={value === true} onChange={(e) => set(e.target.checked)} />}
            </Field>
          );
        }
        const kept = field.type === 'secret' && storedSecrets?.includes(field.name) === true;
        const hint = kept
          ? t('notifications.secretUnchanged')
          : field.type === 'secret'
            ? t('notifications.secretHint')
            : field.type === 'list'
              ? t('notifications.listHint')
              : undefined;
        return (
          <Field
            key={key}
            label={label}
            error={errors[key]}
            required={field.required && !kept}
            note={kept ? t('notifications.secretStored') : field.required ? undefined : t('notifications.optional')}
            hint={hint}
          >
            {(props) =>
              field.type === 'list' ? (
                <textarea {...props} rows={2} className={inputClass} value={String(value ?? '')} onChange={(e) => set(e.target.value)} />
              ) : (
                <input
                  {...props}
                  className={inputClass}
                  type={field.type === 'secret' ? 'password' : field.type === 'url' ? 'url' : 'text'}
                  inputMode={field.type === 'number' ? 'numeric' : undefined}
                  autoComplete={field.type === 'secret' ? 'new-password' : 'off'}
                  placeholder={kept ? t('notifications.secretPlaceholder') : field.placeholder}
                  value={String(value ?? '')}
                  onChange={(e) => set(e.target.value)}
                />
              )
            }
          </Field>
        );
      })}
    </>
  );
}

/** Editing a channel in place: its name and settings, pre-filled; secrets stay unless a new one is typed. */
export function EditChannel({ channel, kind, saved, cancel }: { channel: Channel; kind: ChannelKind; saved: (name: string) => void; cancel: () => void }) {
  const t = useT();
  const [name, setName] = useState(channel.name);
  const [values, setValues] = useState<ChannelValues>(() => channelValuesFromSettings(kind, channel.settings));
  const { form, errors, other, failure, clear, check, answer } = useFormProblems();
  const [state, edit] = useMutation(EditChannelMutation);
  // focus starts on the name, the first thing to change
  useEffect(() => {
    form.current?.querySelector<HTMLInputElement>('input')?.focus();
  }, [form]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    clear();
    const built = buildChannelSettings(kind, name, values, { storedSecrets: channel.secretFields });
    if (!check(localMessages(built.errors, t), built.settings !== null) || !built.settings) return;
    const payload = answer(await edit({ id: channel.id, name: name.trim(), settings: built.settings }), (data) => data.updateNotificationChannel, channelFormKeys(kind));
    if (payload?.channel) saved(payload.channel.name);
  };
  return (
    <form
      ref={form}
      onSubmit={submit}
      noValidate
      aria-label={t('notifications.editNamed', { name: channel.name })}
      className="space-y-4 rounded-md bg-slate-50 p-3 dark:bg-slate-800/60"
    >
      <Field label={t('notifications.name')} error={errors.name} required>
        {(props) => <input {...props} className={inputClass} value={name} onChange={(e) => setName(e.target.value)} />}
      </Field>
      <ChannelSettingsFields kind={kind} values={values} setValues={setValues} errors={errors} storedSecrets={channel.secretFields} />
      <FormProblems title={t('notifications.refused')} other={other} failure={failure} />
      <div className="flex flex-wrap gap-2">
        <Button type="submit" busy={state.fetching}>
          {t('notifications.saveChanges')}
        </Button>
        <Button variant="secondary" onClick={cancel}>
          {t('notifications.cancel')}
        </Button>
      </div>
    </form>
  );
}

/** A new channel: its kind, name and the kind's settings. */
export function AddChannel({ added }: { added: () => void }) {
  const t = useT();
  const [kind, setKind] = useState<ChannelKind>('WEBHOOK');
  const [name, setName] = useState('');
  const [values, setValues] = useState<ChannelValues>(() => emptyChannelValues('WEBHOOK'));
  const { form, errors, other, failure, setErrors, clear, check, answer } = useFormProblems();
  const [done, setDone] = useState<string | null>(null);
  const [state, create] = useMutation(CreateChannelMutation);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setDone(null);
    clear();
    const built = buildChannelSettings(kind, name, values);
    if (!check(localMessages(built.errors, t), built.settings !== null) || !built.settings) return;
    const payload = answer(await create({ kind, name: name.trim(), settings: built.settings }), (data) => data.createNotificationChannel, channelFormKeys(kind));
    if (payload?.channel) {
      setDone(t('notifications.created', { name: payload.channel.name }));
      setName('');
      setValues(emptyChannelValues(kind));
      added();
    }
  };
  return (
    <Card title={t('notifications.add')}>
      <form ref={form} onSubmit={submit} noValidate className="space-y-4">
        <div className="grid gap-4 sm:grid-cols-2">
          <Field label={t('notifications.kind')}>
            {(props) => (
              <select
                {...props}
                className={inputClass}
                value={kind}
                onChange={(e) => {
                  const next = e.target.value as ChannelKind;
                  setKind(next);
                  setValues(emptyChannelValues(next));
                  setErrors({});
                  clear();
                }}
              >
                {CHANNEL_KINDS.map((k) => (
                  <option key={k} value={k}>
                    {t(`channelKind.${k}` as BaseKey)}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label={t('notifications.name')} error={errors.name} required>
            {(props) => <input {...props} className={inputClass} value={name} onChange={(e) => setName(e.target.value)} />}
          </Field>
        </div>
        <ChannelSettingsFields kind={kind} values={values} setValues={setValues} errors={errors} />
        <FormProblems title={t('notifications.refused')} other={other} failure={failure} />
        {done && <Notice tone="success">{done}</Notice>}
        <Button type="submit" busy={state.fetching}>
          {t('notifications.create')}
        </Button>
      </form>
    </Card>
  );
}
