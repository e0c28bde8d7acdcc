// A channel's event subscriptions: what it is subscribed to (each with Unsubscribe) and a form to subscribe it
// to more events.

import { useState, type FormEvent } from 'react';
import { useMutation, type CombinedError } from 'urql';
import { graphql } from '../gql';
import type { NotificationEvent } from '../gql/graphql';
import type { BaseKey } from '../i18n/en';
import { useT } from '../lib/context';
import { mutationOutcome, problemsText } from '../lib/problems';
import { ApiError } from '../ui/ApiError';
import { Button } from '../ui/Button';
import { Field } from '../ui/Field';
import { Notice } from '../ui/Notice';

// the events a channel can subscribe to (NotificationEvent without TEST, which is a channel's test send)
export const EVENTS: NotificationEvent[] = [
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

const SubscribeMutation = graphql(`
  mutation SubscribeNotifications($channelId: ID!, $events: [NotificationEvent!]!) {
    subscribeNotifications(channelId: $channelId, events: $events) {
      subscription {
        id
        events
      }
      errors {
        ...MutationProblemFields
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

export type Subscription = { id: string; channelId: string; events: readonly string[]; vins?: readonly string[] | null };

export function Subscriptions({ channel, subscriptions, changed }: { channel: { id: string; name: string }; subscriptions: Subscription[]; changed: () => void }) {
  const t = useT();
  const [subscribeState, subscribe] = useMutation(SubscribeMutation);
  const [unsubscribeState, unsubscribe] = useMutation(UnsubscribeMutation);
  const [events, setEvents] = useState<NotificationEvent[]>([]);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [failure, setFailure] = useState<CombinedError | null>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (events.length === 0) {
      setMessage({ ok: false, text: t('notifications.chooseEvent') });
      return;
    }
    setMessage(null);
    const outcome = mutationOutcome(await subscribe({ channelId: channel.id, events }), (data) => data.subscribeNotifications);
    setFailure(outcome.error);
    if (!outcome.payload) return;
    if (outcome.payload.errors.length) {
      setMessage({ ok: false, text: problemsText(outcome.payload.errors, { withField: true }) });
      return;
    }
    if (outcome.payload.subscription) {
      setMessage({ ok: true, text: t('notifications.subscribed') });
      setEvents([]);
      changed();
    }
  };
  return (
    <>
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
          {unsubscribeState.error && <ApiError error={unsubscribeState.error} />}
        </div>
      )}
      <form onSubmit={submit} noValidate>
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
        {message && (
          <div className="mt-2">
            <Notice tone={message.ok ? 'success' : 'error'}>{message.text}</Notice>
          </div>
        )}
        {failure && <ApiError error={failure} />}
        <Button type="submit" variant="secondary" className="mt-2" busy={subscribeState.fetching}>
          {t('notifications.subscribe')}
        </Button>
      </form>
    </>
  );
}
