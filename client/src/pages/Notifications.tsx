import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import { graphql } from '../gql';
import type { NotificationEvent } from '../gql/graphql';
import type { BaseKey, MessageKey } from '../i18n/en';
import { useFormat, useT } from '../lib/context';
import {
  buildChannelSettings,
  CHANNEL_FIELDS,
  CHANNEL_KINDS,
  channelFormKeys,
  channelValuesFromSettings,
  editableKind,
  emptyChannelValues,
  settingsEntries,
  type ChannelKind,
  type ChannelValues,
} from '../lib/notificationForm';
import { splitProblems } from '../lib/problems';
import { Link } from 'react-router';
import { errorCode } from '../lib/api';
import { ApiError } from '../ui/ApiError';
import { Badge, type Tone } from '../ui/Badge';
import { Button } from '../ui/Button';
import { Card } from '../ui/Card';
import { ConfirmDialog } from '../ui/ConfirmDialog';
import { Field, inputClass } from '../ui/Field';
import { PageHeader } from '../ui/Layout';
import { Loading, Notice } from '../ui/Notice';
import { ThisDevice } from '../notifications/ThisDevice';

// the events a channel can subscribe to (NotificationEvent without TEST, which is a channel's test send)
const EVENTS: NotificationEvent[] = [
  'CHARGE_STARTED',
  'CHARGE_COMPLETE',
  'CHARGE_STOPPED_UNEXPECTEDLY',
  'CHARGE_LIMIT_REACHED',
  'LEFT_UNLOCKED',
  'SENTRY_ALERT',
  'DOOR_OPEN_PARKED',
  'WINDOW_OPEN_PARKED',
  'VEHICLE_ALERT',
  'STREAM_STALE',
  'SOFTWARE_UPDATE_AVAILABLE',
  'TYRE_PRESSURE_LOW',
  'COMMAND_FAILED',
  'AUTOMATION',
  'HELIX_SPEND_JUMP',
];

const NotificationsQuery = graphql(`
  query NotificationsPage {
    notificationChannels {
      id
      kind
      name
      enabled
      settings
      secretFields
    }
    notificationSubscriptions {
      id
      channelId
      events
      vins
    }
    notificationDeliveries(first: 20) {
      edges {
        node {
          id
          channelId
          event
          vin
          title
          status
          lastError
          createdAt
          attempts {
            attempt
            at
            outcome
            detail
          }
        }
      }
    }
  }
`);

const CreateChannelMutation = graphql(`
  mutation CreateNotificationChannel($kind: NotificationChannelKind!, $name: String!, $settings: JSON!) {
    createNotificationChannel(kind: $kind, name: $name, settings: $settings) {
      channel {
        id
        name
      }
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

const UpdateChannelMutation = graphql(`
  mutation SetNotificationChannelEnabled($id: ID!, $enabled: Boolean!) {
    updateNotificationChannel(id: $id, enabled: $enabled) {
      channel {
        id
        enabled
      }
      errors {
        __typename
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

const DeleteChannelMutation = graphql(`
  mutation DeleteNotificationChannel($id: ID!) {
    deleteNotificationChannel(id: $id) {
      removed
      errors {
        __typename
        ... on InvalidInput {
          message
        }
        ... on NotFoundProblem {
          message
        }
      }
    }
  }
`);

const TestChannelMutation = graphql(`
  mutation TestNotificationChannel($id: ID!) {
    testNotificationChannel(id: $id) {
      delivered
      detail
      errors {
        __typename
        ... on NotFoundProblem {
          message
        }
        ... on InvalidInput {
          message
        }
      }
    }
  }
`);

const SubscribeMutation = graphql(`
  mutation SubscribeNotifications($channelId: ID!, $events: [NotificationEvent!]!) {
    subscribeNotifications(channelId: $channelId, events: $events) {
      subscription {
        id
        events
      }
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

const UnsubscribeMutation = graphql(`
  mutation UnsubscribeNotifications($id: ID!) {
    unsubscribeNotifications(id: $id) {
      removed
    }
  }
`);

type Channel = { id: string; kind: string; name: string; enabled: boolean; settings: unknown; secretFields: readonly string[] };
type Subscription = { id: string; channelId: string; events: readonly string[]; vins?: readonly string[] | null };

const STATUS_TONE: Record<string, Tone> = { sent: 'success', failed: 'danger', pending: 'info', deferred: 'warning' };

/** Editing a channel in place: its name and settings, pre-filled; secrets stay unless a new one is typed. */
function EditChannel({ channel, kind, saved, cancel }: { channel: Channel; kind: ChannelKind; saved: (name: string) => void; cancel: () => void }) {
  const t = useT();
  const [name, setName] = useState(channel.name);
  const [values, setValues] = useState<ChannelValues>(() => channelValuesFromSettings(kind, channel.settings));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [other, setOther] = useState<string[]>([]);
  const [state, edit] = useMutation(EditChannelMutation);
  const form = useRef<HTMLFormElement>(null);
  const focusFirstError = () => setTimeout(() => form.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus(), 0);
  // focus starts on the name, the first thing to change
  useEffect(() => {
    form.current?.querySelector<HTMLInputElement>('input')?.focus();
  }, []);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setOther([]);
    const built = buildChannelSettings(kind, name, values, { storedSecrets: channel.secretFields });
    setErrors(Object.fromEntries(Object.entries(built.errors).map(([k, v]) => [k, t(v as MessageKey)])));
    if (!built.settings) {
      focusFirstError();
      return;
    }
    const r = await edit({ id: channel.id, name: name.trim(), settings: built.settings });
    const payload = r.data?.updateNotificationChannel;
    if (!payload) return;
    if (payload.errors.length) {
      const split = splitProblems(payload.errors, channelFormKeys(kind));
      setErrors(split.fields);
      setOther(split.other);
      focusFirstError();
      return;
    }
    if (payload.channel) saved(payload.channel.name);
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
      {other.length > 0 && (
        <Notice tone="error" title={t('notifications.refused')}>
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
          {t('notifications.saveChanges')}
        </Button>
        <Button variant="secondary" onClick={cancel}>
          {t('notifications.cancel')}
        </Button>
      </div>
    </form>
  );
}

function ChannelItem({ channel, subscriptions, changed }: { channel: Channel; subscriptions: Subscription[]; changed: () => void }) {
  const t = useT();
  const [testState, test] = useMutation(TestChannelMutation);
  const [updateState, update] = useMutation(UpdateChannelMutation);
  const [subscribeState, subscribe] = useMutation(SubscribeMutation);
  const [, unsubscribe] = useMutation(UnsubscribeMutation);
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  const [events, setEvents] = useState<NotificationEvent[]>([]);
  const [subMessage, setSubMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [editing, setEditing] = useState(false);
  const [edited, setEdited] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [deleteState, remove] = useMutation(DeleteChannelMutation);
  const [deleteProblem, setDeleteProblem] = useState<string | null>(null);
  const kind = editableKind(channel.kind);

  const confirmDelete = async () => {
    setDeleteProblem(null);
    const r = await remove({ id: channel.id });
    const payload = r.data?.deleteNotificationChannel;
    if (payload?.removed) {
      setConfirming(false);
      changed();
    } else if (payload) {
      setConfirming(false);
      setDeleteProblem(payload.errors.map((e) => e.message).join('; ') || t('notifications.notDeleted'));
    } else setConfirming(false);
  };

  const runTest = async () => {
    setResult(null);
    const r = await test({ id: channel.id });
    const payload = r.data?.testNotificationChannel;
    if (!payload) return;
    const detail = payload.detail ?? payload.errors.map((e) => e.message).join('; ');
    setResult({ ok: payload.delivered, text: t(payload.delivered ? 'notifications.testOk' : 'notifications.testFailed', { detail: detail || '—' }) });
    changed();
  };
  const submitEvents = async (event: FormEvent) => {
    event.preventDefault();
    if (events.length === 0) {
      setSubMessage({ ok: false, text: t('notifications.chooseEvent') });
      return;
    }
    const r = await subscribe({ channelId: channel.id, events });
    const payload = r.data?.subscribeNotifications;
    if (payload?.errors.length) {
      setSubMessage({ ok: false, text: payload.errors.map((e) => (e.field ? `${e.field}: ${e.message}` : e.message)).join('; ') });
      return;
    }
    if (payload?.subscription) {
      setSubMessage({ ok: true, text: t('notifications.subscribed') });
      setEvents([]);
      changed();
    }
  };
  const entries = settingsEntries(channel.settings, channel.secretFields);
  return (
    <li className="space-y-3 rounded-md border border-slate-200 p-3 dark:border-slate-700" data-channel-id={channel.id}>
      <div className="flex flex-wrap items-center gap-2">
        <h3 className="font-semibold">{channel.name}</h3>
        <Badge>{t(`channelKind.${channel.kind}` as BaseKey)}</Badge>
        <Badge tone={channel.enabled ? 'success' : 'neutral'}>{t(channel.enabled ? 'notifications.enabled' : 'notifications.disabled')}</Badge>
      </div>
      {entries.length > 0 && (
        <dl className="grid grid-cols-[auto_1fr] gap-x-3 gap-y-1 text-sm" aria-label={t('notifications.settings', { name: channel.name })}>
          {entries.map(([k, v]) => (
            <div key={k} className="contents">
              <dt className="text-slate-600 dark:text-slate-400">{t(`channelField.${k}` as BaseKey)}</dt>
              <dd className="break-all font-mono">{v}</dd>
            </div>
          ))}
        </dl>
      )}
      <div className="flex flex-wrap gap-2">
        <Button variant="secondary" busy={testState.fetching} onClick={runTest} aria-label={`${t('notifications.test')}: ${channel.name}`}>
          {t('notifications.test')}
        </Button>
        <Button
          variant="ghost"
          busy={updateState.fetching}
          aria-label={`${t(channel.enabled ? 'notifications.disable' : 'notifications.enable')}: ${channel.name}`}
          onClick={async () => {
            await update({ id: channel.id, enabled: !channel.enabled });
            changed();
          }}
        >
          {t(channel.enabled ? 'notifications.disable' : 'notifications.enable')}
        </Button>
        {kind && (
          <Button
            variant="ghost"
            aria-label={`${t('notifications.edit')}: ${channel.name}`}
            aria-expanded={editing}
            onClick={() => {
              setEdited(null);
              setEditing(!editing);
            }}
          >
            {t('notifications.edit')}
          </Button>
        )}
        <Button
          variant="ghost"
          className="text-red-700 dark:text-red-400"
          aria-label={`${t('notifications.delete')}: ${channel.name}`}
          onClick={() => setConfirming(true)}
        >
          {t('notifications.delete')}
        </Button>
      </div>
      {editing && kind && (
        <EditChannel
          channel={channel}
          kind={kind}
          cancel={() => setEditing(false)}
          saved={(name) => {
            setEditing(false);
            setEdited(t('notifications.saved', { name }));
            changed();
          }}
        />
      )}
      {edited && <Notice tone="success">{edited}</Notice>}
      {updateState.error && <ApiError error={updateState.error} />}
      {deleteState.error && <ApiError error={deleteState.error} />}
      {deleteProblem && <Notice tone="error">{deleteProblem}</Notice>}
      <ConfirmDialog
        open={confirming}
        title={t('notifications.deleteTitle', { name: channel.name })}
        confirmLabel={t('notifications.delete')}
        cancelLabel={t('notifications.cancel')}
        busy={deleteState.fetching}
        onConfirm={() => void confirmDelete()}
        onCancel={() => setConfirming(false)}
      >
        {t('notifications.deleteBody')}
      </ConfirmDialog>
      {testState.error && <ApiError error={testState.error} />}
      {result && <Notice tone={result.ok ? 'success' : 'error'}>{result.text}</Notice>}
      {subscriptions.length > 0 && (
        <div>
          <h4 className="text-sm font-medium">{t('notifications.subscriptions')}</h4>
          <ul className="mt-1 space-y-1 text-sm">
            {subscriptions.map((s) => (
              <li key={s.id} className="flex flex-wrap items-center gap-2">
                <span>
                  {s.events.map((e) => t(`notificationEvent.${e}` as BaseKey)).join(', ')} · {s.vins?.length ? s.vins.join(', ') : t('notifications.allVehicles')}
                </span>
                <Button
                  variant="ghost"
                  className="min-h-8 px-2 py-1"
                  onClick={async () => {
                    await unsubscribe({ id: s.id });
                    changed();
                  }}
                >
                  {t('notifications.unsubscribe')}
                </Button>
              </li>
            ))}
          </ul>
        </div>
      )}
      <form onSubmit={submitEvents} noValidate>
        <fieldset className="space-y-2">
          <legend className="text-sm font-medium">{t('notifications.events', { name: channel.name })}</legend>
          <div className="grid gap-1 sm:grid-cols-2">
            {EVENTS.map((e) => (
              <Field key={e} label={t(`notificationEvent.${e}` as BaseKey)} inline>
                {(props) => (
                  <input
                    {...props}
                    type="checkbox"
                    className="h-4 w-4"
                    checked={events.includes(e)}
                    onChange={(ev) => setEvents(ev.target.checked ? [...events, e] : events.filter((x) => x !== e))}
                  />
                )}
              </Field>
            ))}
          </div>
        </fieldset>
        {subMessage && (
          <div className="mt-2">
            <Notice tone={subMessage.ok ? 'success' : 'error'}>{subMessage.text}</Notice>
          </div>
        )}
        {subscribeState.error && <ApiError error={subscribeState.error} />}
        <Button type="submit" variant="secondary" className="mt-2" busy={subscribeState.fetching}>
          {t('notifications.subscribe')}
        </Button>
      </form>
    </li>
  );
}

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

function AddChannel({ added }: { added: () => void }) {
  const t = useT();
  const [kind, setKind] = useState<ChannelKind>('WEBHOOK');
  const [name, setName] = useState('');
  const [values, setValues] = useState<ChannelValues>(() => emptyChannelValues('WEBHOOK'));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [other, setOther] = useState<string[]>([]);
  const [done, setDone] = useState<string | null>(null);
  const [state, create] = useMutation(CreateChannelMutation);
  const form = useRef<HTMLFormElement>(null);

  const focusFirstError = () => setTimeout(() => form.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus(), 0);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setDone(null);
    setOther([]);
    const built = buildChannelSettings(kind, name, values);
    setErrors(Object.fromEntries(Object.entries(built.errors).map(([k, v]) => [k, t(v as MessageKey)])));
    if (!built.settings) {
      focusFirstError();
      return;
    }
    const r = await create({ kind, name: name.trim(), settings: built.settings });
    const payload = r.data?.createNotificationChannel;
    if (!payload) return;
    if (payload.errors.length) {
      const split = splitProblems(payload.errors, channelFormKeys(kind));
      setErrors(split.fields);
      setOther(split.other);
      focusFirstError();
      return;
    }
    if (payload.channel) {
      setDone(t('notifications.created', { name: payload.channel.name }));
      setName('');
      setValues(emptyChannelValues(kind));
      setErrors({});
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
                  setOther([]);
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
        {other.length > 0 && (
          <Notice tone="error" title={t('notifications.refused')}>
            <ul>
              {other.map((p) => (
                <li key={p}>{p}</li>
              ))}
            </ul>
          </Notice>
        )}
        {state.error && <ApiError error={state.error} />}
        {done && <Notice tone="success">{done}</Notice>}
        <Button type="submit" busy={state.fetching}>
          {t('notifications.create')}
        </Button>
      </form>
    </Card>
  );
}

export default function Notifications() {
  const t = useT();
  const format = useFormat();
  const [{ data, fetching, error }, refetch] = useQuery({ query: NotificationsQuery });
  const reload = () => refetch({ requestPolicy: 'network-only' });
  const names = new Map(data?.notificationChannels.map((c) => [c.id, c.name]) ?? []);
  return (
    <>
      <PageHeader title={t('notifications.title')} />
      {error && <ApiError error={error} retry={reload} />}
      {error && errorCode(error) === 'FORBIDDEN' && (
        <div className="mt-2">
          <Notice>
            <Link to="/settings" className="underline">
              {t('notifications.needsUser')}
            </Link>
          </Notice>
        </div>
      )}
      {!data && fetching && <Loading label={t('app.loading')} />}
      {data && <ThisDevice channels={data.notificationChannels} changed={reload} />}
      <div className="grid gap-4 lg:grid-cols-2">
        <AddChannel added={reload} />
        <div className="space-y-4">
          {data && (
            <Card title={t('notifications.channels')}>
              {data.notificationChannels.length === 0 && <p className="text-sm">{t('notifications.noChannels')}</p>}
              <ul className="space-y-3">
                {data.notificationChannels.map((c) => (
                  <ChannelItem key={c.id} channel={c} subscriptions={data.notificationSubscriptions.filter((s) => s.channelId === c.id)} changed={reload} />
                ))}
              </ul>
            </Card>
          )}
          {data && (
            <Card title={t('notifications.log')}>
              {data.notificationDeliveries.edges.length === 0 && <p className="text-sm">{t('notifications.noDeliveries')}</p>}
              <ul className="space-y-3 text-sm">
                {data.notificationDeliveries.edges.map(({ node }) => (
                  <li key={node.id} className="space-y-1" data-delivery-id={node.id}>
                    <p className="flex flex-wrap items-center gap-2">
                      <Badge tone={STATUS_TONE[node.status] ?? 'neutral'}>{node.status}</Badge>
                      <span className="font-medium">{node.title}</span>
                    </p>
                    <p className="text-slate-600 dark:text-slate-400">
                      {t(`notificationEvent.${node.event}` as BaseKey)} · {names.get(node.channelId) ?? node.channelId}
                      {node.vin && ` · ${node.vin}`} · <time dateTime={node.createdAt}>{format.dateTime(node.createdAt)}</time>
                    </p>
                    {node.lastError && <p className="text-red-700 dark:text-red-400">{node.lastError}</p>}
                    {node.attempts.length > 0 && (
                      <ol className="ml-4 list-disc">
                        {node.attempts.map((a) => (
                          <li key={a.attempt}>
                            {t('notifications.attempt', { attempt: a.attempt })}: <time dateTime={a.at}>{format.dateTime(a.at)}</time> · {a.outcome}
                            {a.detail && ` · ${a.detail}`}
                          </li>
                        ))}
                      </ol>
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
