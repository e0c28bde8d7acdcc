// "Notify this device" on the notifications page: the browser subscribes with its push service under a
// VAPID key made for this device alone, and a WEBPUSH channel with that subscription and key is created
// (and subscribed to a few events) through the API. Stopping deletes the channel and unsubscribes. The
// logic without the browser is in lib/webPush.ts; the service worker shows the pushes (pwa/sw.js).

import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import { useMutation, useQuery, type CombinedError } from 'urql';
import { graphql } from '../gql';
import type { BaseKey, MessageKey } from '../i18n/en';
import { useT, type Translate } from '../lib/context';
import {
  DEVICE_EVENTS,
  SUBSCRIBE_TIMEOUT_MS,
  deviceChannel,
  deviceName,
  errorDetail,
  generateVapidKeys,
  needsAddress,
  problemParts,
  pushProblem,
  readDeviceRecord,
  staleChannelId,
  vapidSubject,
  webPushSettings,
  withTimeout,
  writeDeviceRecord,
  type DeviceRecord,
  type FieldProblem,
  type WebPushSettings,
} from '../lib/webPush';
import { mutationOutcome } from '../lib/problems';
import { ApiError } from '../ui/ApiError';
import { Button } from '../ui/Button';
import { Card } from '../ui/Card';
import { Field, inputClass } from '../ui/Field';
import { Notice } from '../ui/Notice';
import { DeleteChannelMutation, TestChannelMutation } from './operations';

const AccountEmailQuery = graphql(`
  query ThisDeviceAccount {
    me {
      user {
        id
        email
      }
    }
  }
`);

const CreateDeviceChannelMutation = graphql(`
  mutation CreateDeviceChannel($name: String!, $settings: JSON!) {
    createNotificationChannel(kind: WEBPUSH, name: $name, settings: $settings) {
      channel {
        id
        name
        enabled
      }
      errors {
        ...MutationProblemFields
      }
    }
  }
`);

const SubscribeDeviceMutation = graphql(`
  mutation SubscribeDeviceChannel($channelId: ID!, $events: [NotificationEvent!]!) {
    subscribeNotifications(channelId: $channelId, events: $events) {
      subscription {
        id
      }
      errors {
        ...MutationProblemFields
      }
    }
  }
`);

export interface DeviceChannel {
  id: string;
  kind: string;
  name: string;
  enabled: boolean;
  settings: unknown;
}

type Unavailable = 'insecure' | 'unsupported' | 'noWorker';
type Support = { state: 'checking' } | { state: 'unavailable'; reason: Unavailable } | { state: 'ready'; registration: ServiceWorkerRegistration };
type Problem = { title: string; lines: string[] };

/** How long a production build may take to have its worker running before the section says it has none. */
const WORKER_GRACE_MS = 4000;

function pushSupported(): boolean {
  return 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;
}

function storage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

function problemLine(t: Translate, problem: FieldProblem): string {
  const { labelKey, field, message } = problemParts(problem);
  if (labelKey) return `${t(labelKey as BaseKey)}: ${message}`;
  return field ? `${field}: ${message}` : message;
}

/** A failed subscription in words: what happened and what can be done. */
function browserProblem(t: Translate, error: unknown): string {
  const detail = errorDetail(error);
  switch (pushProblem(error)) {
    case 'denied':
      return t('thisDevice.pushDenied', { detail });
    case 'pushService':
      return t('thisDevice.pushService', { detail });
    case 'timeout':
      return t('thisDevice.timeout', { seconds: SUBSCRIBE_TIMEOUT_MS / 1000 });
    default:
      return t('thisDevice.browserError', { detail });
  }
}

export function ThisDevice({ channels, changed }: { channels: readonly DeviceChannel[]; changed: () => void }) {
  const t = useT();
  const origin = window.location.origin;
  const https = origin.startsWith('https://');
  const [support, setSupport] = useState<Support>({ state: 'checking' });
  // the browser's current subscription: undefined until known
  const [endpoint, setEndpoint] = useState<string | null | undefined>(undefined);
  const [record, setRecord] = useState<DeviceRecord | null>(() => readDeviceRecord(storage()));
  const [permission, setPermission] = useState<NotificationPermission | null>(() => (pushSupported() ? Notification.permission : null));
  // the channel just made, until the page's list has it
  const [made, setMade] = useState<(DeviceChannel & { endpoint: string }) | null>(null);
  const [address, setAddress] = useState('');
  const [addressError, setAddressError] = useState<string | null>(null);
  const [busy, setBusy] = useState<'enable' | 'test' | 'stop' | null>(null);
  const [subscribing, setSubscribing] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [apiError, setApiError] = useState<CombinedError | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [testResult, setTestResult] = useState<{ ok: boolean; text: string } | null>(null);
  const [account] = useQuery({ query: AccountEmailQuery, pause: https });
  const [, create] = useMutation(CreateDeviceChannelMutation);
  const [, subscribeEvents] = useMutation(SubscribeDeviceMutation);
  const [, remove] = useMutation(DeleteChannelMutation);
  const [, test] = useMutation(TestChannelMutation);
  const addressRef = useRef<HTMLInputElement>(null);
  const section = useRef<HTMLDivElement>(null);
  const focusAfter = useRef<'enable' | 'test' | null>(null);

  // is there a worker to receive pushes, and is this browser subscribed already?
  useEffect(() => {
    if (!window.isSecureContext) {
      setSupport({ state: 'unavailable', reason: 'insecure' });
      return;
    }
    if (!pushSupported()) {
      setSupport({ state: 'unavailable', reason: 'unsupported' });
      return;
    }
    let live = true;
    const container = navigator.serviceWorker;
    // the development server registers no worker; a build registers it once the page has loaded
    const timer = setTimeout(() => live && setSupport((s) => (s.state === 'checking' ? { state: 'unavailable', reason: 'noWorker' } : s)), import.meta.env.DEV ? 0 : WORKER_GRACE_MS);
    void container.ready.then(async (registration) => {
      if (!live) return;
      clearTimeout(timer);
      setSupport({ state: 'ready', registration });
      const subscription = await registration.pushManager.getSubscription().catch(() => null);
      if (live) setEndpoint(subscription?.endpoint ?? null);
    });
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, []);

  // the permission changed in the browser's site settings while the page is open
  useEffect(() => {
    if (!pushSupported() || !navigator.permissions) return;
    let live = true;
    let status: PermissionStatus | null = null;
    const update = () => setPermission(Notification.permission);
    navigator.permissions.query({ name: 'notifications' }).then(
      (result) => {
        if (!live) return;
        status = result;
        result.addEventListener('change', update);
      },
      () => undefined,
    );
    return () => {
      live = false;
      status?.removeEventListener('change', update);
    };
  }, []);

  const listed = deviceChannel(channels, record, endpoint ?? null);
  const channel = listed ?? (made && made.endpoint === endpoint ? made : null);
  const on = channel !== null;

  // remember the channel found by its endpoint (storage cleared, or another tab made it)
  useEffect(() => {
    if (listed && endpoint && (record?.channelId !== listed.id || record.endpoint !== endpoint)) {
      const next = { endpoint, channelId: listed.id };
      writeDeviceRecord(storage(), next);
      setRecord(next);
    }
  }, [listed, endpoint, record]);
  // the list has the new channel: it speaks for it from now on (and a deletion there shows here)
  useEffect(() => {
    if (made && channels.some((c) => c.id === made.id)) setMade(null);
  }, [made, channels]);
  // the buttons change: the focus goes to the next thing to press
  useEffect(() => {
    if (!focusAfter.current) return;
    section.current?.querySelector<HTMLElement>(`[data-focus="${focusAfter.current}"]`)?.focus();
    focusAfter.current = null;
  }, [on]);

  const accountEmail = account.data?.me.user?.email ?? null;
  const askAddress = !https && !account.fetching && needsAddress(origin, accountEmail);

  const clearMessages = () => {
    setProblem(null);
    setApiError(null);
    setDone(null);
    setTestResult(null);
    setAddressError(null);
  };

  const deleteChannel = useCallback(
    async (id: string): Promise<boolean> => {
      const r = await remove({ id });
      const payload = r.data?.deleteNotificationChannel;
      return payload?.removed === true || payload?.errors.some((e) => e.__typename === 'NotFoundProblem') === true;
    },
    [remove],
  );

  /** Subscribe, create the channel and its events; undo what was made when a later step fails. */
  const setUp = async (registration: ServiceWorkerRegistration, subject: string) => {
    const { pushManager } = registration;
    let subscription: PushSubscription;
    let settings: WebPushSettings;
    try {
      const keys = await generateVapidKeys(crypto.subtle);
      // a subscription of another key (a channel deleted in the list, a record lost) is replaced
      const old = await pushManager.getSubscription();
      if (old) {
        await old.unsubscribe();
        setEndpoint(null);
      }
      setSubscribing(true);
      subscription = await withTimeout(
        pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keys.applicationServerKey }),
        SUBSCRIBE_TIMEOUT_MS,
        (late) => void late.unsubscribe().catch(() => false),
      ).finally(() => setSubscribing(false));
      try {
        settings = webPushSettings(subscription.toJSON(), keys.privateJwk, subject);
      } catch (error) {
        await subscription.unsubscribe().catch(() => false);
        throw error;
      }
    } catch (error) {
      setProblem({ title: t('thisDevice.failed'), lines: [browserProblem(t, error)] });
      return;
    }
    const undo = () => subscription.unsubscribe().catch(() => false);

    const name = deviceName(navigator.userAgent, {
      join: (browser, os) => t('thisDevice.deviceName', { browser, os }),
      unknown: t('thisDevice.unknownDevice'),
    });
    const created = await create({ name, settings });
    const payload = created.data?.createNotificationChannel;
    if (!payload?.channel) {
      await undo();
      if (created.error) setApiError(created.error);
      const problems = payload?.errors ?? [];
      if (problems.length) {
        setProblem({ title: t('thisDevice.refused'), lines: [...problems.map((p) => problemLine(t, p)), t('thisDevice.nothingKept')] });
        const subjectProblem = problems.find((p) => p.field === 'settings.vapid_subject');
        if (subjectProblem && askAddress) setAddressError(subjectProblem.message);
      }
      return;
    }
    const createdChannel = payload.channel;
    const subscribed = await subscribeEvents({ channelId: createdChannel.id, events: [...DEVICE_EVENTS] });
    if (!subscribed.data?.subscribeNotifications.subscription) {
      const removed = await deleteChannel(createdChannel.id);
      await undo();
      if (subscribed.error) setApiError(subscribed.error);
      const lines = (subscribed.data?.subscribeNotifications.errors ?? []).map((p) => problemLine(t, p));
      lines.push(removed ? t('thisDevice.nothingKept') : t('thisDevice.leftover', { name: createdChannel.name }));
      setProblem({ title: t(subscribed.error ? 'thisDevice.failed' : 'thisDevice.eventsRefused'), lines });
      changed();
      return;
    }
    // the channel of a subscription this browser dropped would be listed twice
    const stale = staleChannelId(channels, record, subscription.endpoint);
    if (stale && stale !== createdChannel.id) await deleteChannel(stale);
    const next = { endpoint: subscription.endpoint, channelId: createdChannel.id };
    writeDeviceRecord(storage(), next);
    setRecord(next);
    setMade({ ...createdChannel, kind: 'WEBPUSH', settings: { endpoint: subscription.endpoint }, endpoint: subscription.endpoint });
    setEndpoint(subscription.endpoint);
    focusAfter.current = 'test';
    changed();
  };

  const enable = async (event: FormEvent) => {
    event.preventDefault();
    if (support.state !== 'ready' || busy) return;
    clearMessages();
    const choice = vapidSubject(origin, accountEmail, address);
    if ('problem' in choice) {
      setAddressError(t(choice.problem === 'needsAddress' ? 'thisDevice.needsAddress' : 'thisDevice.badAddress'));
      addressRef.current?.focus();
      return;
    }
    setBusy('enable');
    try {
      // asked at once, while the click still counts as the user's
      let granted = Notification.permission;
      if (granted === 'default') granted = await Notification.requestPermission();
      setPermission(granted);
      if (granted === 'default') setProblem({ title: t('thisDevice.failed'), lines: [t('thisDevice.dismissed')] });
      if (granted === 'denied') setProblem({ title: t('thisDevice.deniedTitle'), lines: [t('thisDevice.denied')] });
      if (granted !== 'granted') return;
      await setUp(support.registration, choice.subject);
    } finally {
      setBusy(null);
    }
  };

  const runTest = async () => {
    if (!channel) return;
    clearMessages();
    setBusy('test');
    try {
      const outcome = mutationOutcome(await test({ id: channel.id }), (data) => data.testNotificationChannel);
      if (outcome.error) setApiError(outcome.error);
      const payload = outcome.payload;
      if (!payload) return;
      const detail = payload.detail ?? payload.errors.map((e) => e.message).join('; ');
      setTestResult({ ok: payload.delivered, text: t(payload.delivered ? 'notifications.testOk' : 'notifications.testFailed', { detail: detail || '—' }) });
      changed();
    } finally {
      setBusy(null);
    }
  };

  const stop = async () => {
    if (!channel || support.state !== 'ready') return;
    clearMessages();
    setBusy('stop');
    try {
      const r = await remove({ id: channel.id });
      const payload = r.data?.deleteNotificationChannel;
      const gone = payload?.removed === true || payload?.errors.some((e) => e.__typename === 'NotFoundProblem') === true;
      if (!gone) {
        if (r.error) setApiError(r.error);
        else setProblem({ title: t('thisDevice.stopFailed', { detail: payload?.errors.map((e) => e.message).join('; ') || '—' }), lines: [] });
        return;
      }
      const subscription = await support.registration.pushManager.getSubscription().catch(() => null);
      await subscription?.unsubscribe().catch(() => false);
      writeDeviceRecord(storage(), null);
      setRecord(null);
      setMade(null);
      setEndpoint(null);
      setDone(t('thisDevice.stopped'));
      focusAfter.current = 'enable';
      changed();
    } finally {
      setBusy(null);
    }
  };

  const events = DEVICE_EVENTS.map((e) => t(`notificationEvent.${e}` as BaseKey)).join(', ');
  return (
    <Card title={t('thisDevice.title')} className="mb-4">
      <div ref={section} className="space-y-3">
        {(support.state === 'checking' || (support.state === 'ready' && endpoint === undefined)) && (
          <p role="status" className="text-sm text-slate-600 dark:text-slate-400">
            {t('thisDevice.checking')}
          </p>
        )}
        {support.state === 'unavailable' && <Notice title={t('thisDevice.unavailable')}>{t(`thisDevice.${support.reason}` as MessageKey)}</Notice>}
        {support.state === 'ready' && endpoint !== undefined && channel && (
          <>
            <Notice tone="success" title={t('thisDevice.on')}>
              <p>{t('thisDevice.onDetail', { name: channel.name })}</p>
              {!channel.enabled && <p>{t('thisDevice.channelOff')}</p>}
            </Notice>
            {permission === 'denied' && <Notice tone="error">{t('thisDevice.blockedNow')}</Notice>}
            <div className="flex flex-wrap gap-2">
              <Button data-focus="test" variant="secondary" busy={busy === 'test'} disabled={busy !== null} onClick={() => void runTest()}>
                {t('notifications.test')}
              </Button>
              <Button variant="ghost" className="text-red-700 dark:text-red-400" busy={busy === 'stop'} disabled={busy !== null} onClick={() => void stop()}>
                {t('thisDevice.stop')}
              </Button>
            </div>
          </>
        )}
        {support.state === 'ready' && endpoint !== undefined && !channel && (
          <form onSubmit={(e) => void enable(e)} noValidate className="space-y-3">
            <p className="text-sm">{t('thisDevice.intro')}</p>
            <p className="text-sm">{t('thisDevice.defaultEvents', { events })}</p>
            {permission === 'denied' && !problem && (
              <Notice tone="error" title={t('thisDevice.deniedTitle')}>
                {t('thisDevice.denied')}
              </Notice>
            )}
            {askAddress && (
              <Field label={t('thisDevice.address')} hint={t('thisDevice.addressHint')} error={addressError} required>
                {(props) => (
                  <input
                    {...props}
                    ref={addressRef}
                    type="email"
                    autoComplete="email"
                    className={inputClass}
                    value={address}
                    onChange={(e) => setAddress(e.target.value)}
                  />
                )}
              </Field>
            )}
            <Button data-focus="enable" type="submit" busy={busy === 'enable'} disabled={account.fetching}>
              {t('thisDevice.enable')}
            </Button>
            {subscribing && (
              <p role="status" className="text-sm text-slate-600 dark:text-slate-400">
                {t('thisDevice.subscribing')}
              </p>
            )}
          </form>
        )}
        {problem && (
          <Notice tone="error" title={problem.title}>
            {problem.lines.length > 0 && (
              <ul>
                {problem.lines.map((line) => (
                  <li key={line}>{line}</li>
                ))}
              </ul>
            )}
          </Notice>
        )}
        {apiError && <ApiError error={apiError} />}
        {done && <Notice tone="success">{done}</Notice>}
        {testResult && <Notice tone={testResult.ok ? 'success' : 'error'}>{testResult.text}</Notice>}
      </div>
    </Card>
  );
}
