import { useState, type FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import { graphql } from '../gql';
import type { TokenScope } from '../gql/graphql';
import { buildTeslaAppInput, emptyTeslaApp, teslaConnected, teslaStatusTone, type TeslaAppValues } from '../lib/account';
import { useFormat, useT } from '../lib/context';
import { localMessages } from '../lib/problems';
import { useFormProblems } from '../lib/useFormProblems';
import { useItemAction } from '../lib/useItemAction';
import { Badge } from '../ui/Badge';
import { Button } from '../ui/Button';
import { Card } from '../ui/Card';
import { ConfirmButton } from '../ui/ConfirmDialog';
import { Field, inputClass } from '../ui/Field';
import { Loading, Notice } from '../ui/Notice';
import { AccountError } from './AccountError';

const TeslaAccountsQuery = graphql(`
  query AccountTeslaAccounts {
    teslaAccounts {
      id
      clientId
      redirectUri
      scopes
      status
      region
      accessExpiresAt
      lastError
    }
  }
`);

const ConnectMutation = graphql(`
  mutation AccountConnectTesla($input: TeslaAppInput!) {
    connectTeslaAccount(input: $input) {
      authorizeUrl
      account {
        id
        status
      }
      errors {
        ...MutationProblemFields
      }
    }
  }
`);

const DisconnectMutation = graphql(`
  mutation AccountDisconnectTesla($id: ID!) {
    disconnectTeslaAccount(id: $id)
  }
`);

const FIELDS = ['clientId', 'clientSecret', 'redirectUri', 'scopes'];
const KNOWN_STATUS = ['pending', 'connected', 'reauth_required', 'revoked'] as const;

/**
 * Tesla accounts, reached through the owner's own developer app: the list (every user's for an
 * administrator) with status, region, token expiry and last error; connecting one (then signing in at
 * Tesla's page the API names); disconnecting one.
 */
export function TeslaAccounts({ scopes, isAdmin }: { scopes: readonly TokenScope[]; isAdmin: boolean }) {
  const t = useT();
  const format = useFormat();
  const [{ data, fetching, error }, refetch] = useQuery({ query: TeslaAccountsQuery, requestPolicy: 'network-only' });
  const [values, setValues] = useState<TeslaAppValues>(() => emptyTeslaApp(window.location.origin));
  const { form, errors, other, failure, clear, check, answer } = useFormProblems();
  const [authorizeUrl, setAuthorizeUrl] = useState<string | null>(null);
  const [connectState, connect] = useMutation(ConnectMutation);
  const [, disconnect] = useMutation(DisconnectMutation);
  const canConnect = scopes.includes('COMMAND');
  const refresh = () => refetch({ requestPolicy: 'network-only' });
  const disconnecting = useItemAction((id) => disconnect({ id }), refresh);
  const set = (patch: Partial<TeslaAppValues>) => setValues((previous) => ({ ...previous, ...patch }));

  async function submit(event: FormEvent) {
    event.preventDefault();
    clear();
    disconnecting.reset();
    setAuthorizeUrl(null);
    const built = buildTeslaAppInput(values);
    if (!check(localMessages(built.errors, t), built.input !== null) || !built.input) return;
    const payload = answer(await connect({ input: built.input }), (data) => data.connectTeslaAccount, FIELDS);
    if (!payload) return;
    setAuthorizeUrl(payload.authorizeUrl ?? null);
    set({ clientSecret: '' });
    refresh();
  }

  const requestError = disconnecting.last ? disconnecting.last.error : failure;
  const accounts = data?.teslaAccounts ?? [];
  return (
    <Card title={t('account.tesla.title')}>
      <div className="space-y-4">
        <p className="text-sm text-slate-700 dark:text-slate-300">{isAdmin ? t('account.tesla.explainAdmin') : t('account.tesla.explain')}</p>
        {error && <AccountError error={error} />}
        {!data && fetching && <Loading label={t('app.loading')} />}
        {data && accounts.length === 0 && <p className="text-sm">{t('account.tesla.none')}</p>}
        {accounts.length > 0 && (
          <ul className="divide-y divide-slate-200 text-sm dark:divide-slate-800" aria-label={t('account.tesla.list')}>
            {accounts.map((account) => (
              <li key={account.id} className="flex flex-wrap items-center gap-2 py-2" data-account-id={account.id} data-status={account.status}>
                <span className="font-medium break-all">{t('account.tesla.app', { clientId: account.clientId })}</span>
                <Badge tone={teslaStatusTone(account.status)}>
                  {(KNOWN_STATUS as readonly string[]).includes(account.status) ? t(`account.teslaStatus.${account.status as (typeof KNOWN_STATUS)[number]}`) : account.status}
                </Badge>
                {account.region && <Badge>{t('account.tesla.region', { region: account.region.toUpperCase() })}</Badge>}
                <span className="basis-full text-xs text-slate-600 dark:text-slate-400">
                  {account.accessExpiresAt ? t('account.tesla.expiresAt', { when: format.dateTime(account.accessExpiresAt) }) : t('account.tesla.noToken')}
                  {' · '}
                  <span className="break-all">{account.redirectUri}</span>
                </span>
                {account.lastError && (
                  <p className="basis-full text-sm text-amber-900 dark:text-amber-200">{t('account.tesla.lastError', { error: account.lastError })}</p>
                )}
                {teslaConnected(account.status) && canConnect && (
                  <ConfirmButton
                    label={t('account.tesla.disconnect')}
                    accessibleLabel={t('account.tesla.disconnectNamed', { clientId: account.clientId })}
                    title={t('account.tesla.disconnectQuestion', { clientId: account.clientId })}
                    confirmLabel={t('account.tesla.disconnectConfirm')}
                    cancelLabel={t('account.cancel')}
                    busy={disconnecting.busy === account.id}
                    onConfirm={() => disconnecting.run(account.id)}
                  />
                )}
              </li>
            ))}
          </ul>
        )}
        {requestError && <AccountError error={requestError} />}
        {authorizeUrl && (
          <Notice tone="success" title={t('account.tesla.nextTitle')}>
            <p>{t('account.tesla.next')}</p>
            <p className="mt-2">
              <a href={authorizeUrl} target="_blank" rel="noopener noreferrer" className="font-semibold underline" data-testid="tesla-authorize">
                {t('account.tesla.openTesla')}
              </a>
            </p>
          </Notice>
        )}
        {canConnect ? (
          <form ref={form} onSubmit={submit} noValidate className="space-y-4" aria-label={t('account.tesla.connectTitle')}>
            <h3 className="text-sm font-semibold">{t('account.tesla.connectTitle')}</h3>
            <div className="grid gap-4 sm:grid-cols-2">
              <Field label={t('account.tesla.clientId')} error={errors.clientId} required>
                {(props) => <input {...props} autoComplete="off" value={values.clientId} onChange={(e) => set({ clientId: e.target.value })} className={inputClass} />}
              </Field>
              <Field label={t('account.tesla.clientSecret')} hint={t('account.tesla.clientSecretHint')} error={errors.clientSecret} required>
                {(props) => (
                  <input {...props} type="password" autoComplete="off" value={values.clientSecret} onChange={(e) => set({ clientSecret: e.target.value })} className={inputClass} />
                )}
              </Field>
            </div>
            <Field label={t('account.tesla.redirectUri')} hint={t('account.tesla.redirectUriHint')} error={errors.redirectUri} required>
              {(props) => <input {...props} type="url" value={values.redirectUri} onChange={(e) => set({ redirectUri: e.target.value })} className={inputClass} />}
            </Field>
            <Field label={t('account.tesla.scopes')} hint={t('account.tesla.scopesHint')} note={`(${t('commands.optional')})`} error={errors.scopes}>
              {(props) => <input {...props} value={values.scopes} onChange={(e) => set({ scopes: e.target.value })} className={inputClass} />}
            </Field>
            <Field label={t('account.tesla.china')} inline>
              {(props) => <input {...props} type="checkbox" className="h-4 w-4" checked={values.china} onChange={(e) => set({ china: e.target.checked })} />}
            </Field>
            {other.length > 0 && (
              <Notice tone="error">
                {other.map((problem) => (
                  <p key={problem}>{problem}</p>
                ))}
              </Notice>
            )}
            <Button type="submit" busy={connectState.fetching}>
              {t('account.tesla.connect')}
            </Button>
          </form>
        ) : (
          <p className="text-sm">{t('account.tesla.needsCommand')}</p>
        )}
      </div>
    </Card>
  );
}
