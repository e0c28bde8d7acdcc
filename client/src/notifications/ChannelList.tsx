// The user's channels: each with its settings, a test send, on/off, editing in place, deletion after a
// confirmation, and its event subscriptions.

import { useState } from 'react';
import { useMutation, type CombinedError } from 'urql';
import { graphql } from '../gql';
import type { BaseKey } from '../i18n/en';
import { useT } from '../lib/context';
import { editableKind, settingsEntries } from '../lib/notificationForm';
import { mutationOutcome, problemsText } from '../lib/problems';
import { useActionProblems } from '../lib/useFormProblems';
import { ApiError } from '../ui/ApiError';
import { Badge } from '../ui/Badge';
import { Button } from '../ui/Button';
import { Card } from '../ui/Card';
import { ConfirmButton } from '../ui/ConfirmDialog';
import { ActionProblems } from '../ui/FormProblems';
import { Notice } from '../ui/Notice';
import { EditChannel, type Channel } from './ChannelEditor';
import { DeleteChannelMutation, TestChannelMutation } from './operations';
import { Subscriptions, type Subscription } from './Subscriptions';

const SetEnabledMutation = graphql(`
  mutation SetNotificationChannelEnabled($id: ID!, $enabled: Boolean!) {
    updateNotificationChannel(id: $id, enabled: $enabled) {
      channel {
        id
        enabled
      }
      errors {
        ...MutationProblemFields
      }
    }
  }
`);

function ChannelItem({ channel, subscriptions, changed }: { channel: Channel; subscriptions: Subscription[]; changed: () => void }) {
  const t = useT();
  const [testState, test] = useMutation(TestChannelMutation);
  const [enableState, setEnabled] = useMutation(SetEnabledMutation);
  const [deleteState, remove] = useMutation(DeleteChannelMutation);
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  const [testFailure, setTestFailure] = useState<CombinedError | null>(null);
  const [editing, setEditing] = useState(false);
  const [edited, setEdited] = useState<string | null>(null);
  // turning it on or off, deleting it
  const problems = useActionProblems();
  const kind = editableKind(channel.kind);

  const confirmDelete = async () => {
    problems.clear();
    const payload = problems.settle(await remove({ id: channel.id }), (data) => data.deleteNotificationChannel);
    if (payload?.removed) changed();
    else if (payload) problems.say(t('notifications.notDeleted'));
  };
  const runTest = async () => {
    setResult(null);
    const outcome = mutationOutcome(await test({ id: channel.id }), (data) => data.testNotificationChannel);
    setTestFailure(outcome.error);
    if (!outcome.payload) return;
    const { delivered, detail, errors } = outcome.payload;
    setResult({ ok: delivered, text: t(delivered ? 'notifications.testOk' : 'notifications.testFailed', { detail: (detail ?? problemsText(errors)) || '—' }) });
    changed();
  };
  const toggle = async () => {
    problems.clear();
    problems.settle(await setEnabled({ id: channel.id, enabled: !channel.enabled }), (data) => data.updateNotificationChannel, { withField: true });
    changed();
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
          busy={enableState.fetching}
          aria-label={`${t(channel.enabled ? 'notifications.disable' : 'notifications.enable')}: ${channel.name}`}
          onClick={toggle}
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
        <ConfirmButton
          variant="ghost"
          className="text-red-700 dark:text-red-400"
          label={t('notifications.delete')}
          accessibleLabel={`${t('notifications.delete')}: ${channel.name}`}
          title={t('notifications.deleteTitle', { name: channel.name })}
          confirmLabel={t('notifications.delete')}
          cancelLabel={t('notifications.cancel')}
          busy={deleteState.fetching}
          onConfirm={confirmDelete}
        >
          {t('notifications.deleteBody')}
        </ConfirmButton>
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
      <ActionProblems problem={problems.problem} failure={problems.failure} />
      {testFailure && <ApiError error={testFailure} />}
      {result && <Notice tone={result.ok ? 'success' : 'error'}>{result.text}</Notice>}
      <Subscriptions channel={channel} subscriptions={subscriptions} changed={changed} />
    </li>
  );
}

/** Every channel of the user, with its subscriptions. */
export function ChannelList({ channels, subscriptions, changed }: { channels: readonly Channel[]; subscriptions: readonly Subscription[]; changed: () => void }) {
  const t = useT();
  return (
    <Card title={t('notifications.channels')}>
      {channels.length === 0 && <p className="text-sm">{t('notifications.noChannels')}</p>}
      <ul className="space-y-3">
        {channels.map((c) => (
          <ChannelItem key={c.id} channel={c} subscriptions={subscriptions.filter((s) => s.channelId === c.id)} changed={changed} />
        ))}
      </ul>
    </Card>
  );
}
