import { useQuery } from 'urql';
import { graphql } from '../gql';
import { useT } from '../lib/context';
import { ApiError } from '../ui/ApiError';
import { Badge } from '../ui/Badge';
import { Loading, Notice } from '../ui/Notice';
import { ApiTokens } from './ApiTokens';
import { TeslaAccounts } from './TeslaAccounts';
import { TwoFactor } from './TwoFactor';

const AccountQuery = graphql(`
  query AccountMe {
    me {
      credential
      scopes
      user {
        id
        username
        displayName
        isAdmin
        totpEnabled
      }
    }
  }
`);

/**
 * The signed-in user's account, under Settings: two-factor authentication, API tokens and Tesla accounts.
 * Demo mode's anonymous caller is no user: then it says what is needed instead.
 */
export function AccountSettings() {
  const t = useT();
  // always asked anew: the answer depends on the token saved a moment ago
  const [{ data, fetching, error }, refetch] = useQuery({ query: AccountQuery, requestPolicy: 'network-only' });
  const refresh = () => refetch({ requestPolicy: 'network-only' });
  const me = data?.me;
  const user = me?.user;

  return (
    <section aria-labelledby="account-title" className="mt-10 space-y-4" data-testid="account">
      <div className="flex flex-wrap items-center gap-2">
        <h2 id="account-title" className="text-xl font-bold tracking-tight">
          {t('account.title')}
        </h2>
        {user && (
          <p className="flex flex-wrap items-center gap-2 text-sm text-slate-700 dark:text-slate-300">
            <span>{t('account.signedInAs', { name: user.displayName || user.username })}</span>
            {user.isAdmin && <Badge tone="info">{t('account.admin')}</Badge>}
          </p>
        )}
      </div>
      {error && <ApiError error={error} retry={refresh} />}
      {!data && fetching && <Loading label={t('app.loading')} />}
      {me && !user && (
        <Notice title={t('account.needsUserTitle')}>
          <p>{t('account.needsUser')}</p>
          <p className="mt-2">
            <code className="break-all rounded bg-white/60 px-1 dark:bg-slate-900/60">teslasync token create --name me --scope admin</code>
          </p>
        </Notice>
      )}
      {me && user && (
        <div className="grid items-start gap-4 lg:grid-cols-2">
          <TwoFactor enabled={user.totpEnabled} onChanged={refresh} />
          <ApiTokens credential={me.credential} scopes={me.scopes} totpEnabled={user.totpEnabled} />
          <div className="lg:col-span-2">
            <TeslaAccounts scopes={me.scopes} isAdmin={user.isAdmin} />
          </div>
        </div>
      )}
    </section>
  );
}
