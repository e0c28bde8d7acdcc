import { useRef, useState, type FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import { graphql } from '../gql';
import type { TokenScope } from '../gql/graphql';
import { buildTokenInput, credentialTokenId, emptyTokenForm, sortTokens, TOKEN_SCOPES, tokenState, type TokenFormValues, type TokenInput, type TokenState } from '../lib/account';
import { errorCode } from '../lib/api';
import { useFormat, useT } from '../lib/context';
import { localMessages } from '../lib/problems';
import { useFormProblems } from '../lib/useFormProblems';
import { useItemAction } from '../lib/useItemAction';
import { Badge, type Tone } from '../ui/Badge';
import { Button } from '../ui/Button';
import { Card } from '../ui/Card';
import { ConfirmButton } from '../ui/ConfirmDialog';
import { CopyButton } from '../ui/CopyButton';
import { Field, inputClass } from '../ui/Field';
import { Loading, Notice } from '../ui/Notice';
import { StepUpDialog } from '../ui/StepUpDialog';
import { AccountError } from './AccountError';

const TokensQuery = graphql(`
  query AccountTokens {
    apiTokens {
      id
      name
      scopes
      createdAt
      expiresAt
      lastUsedAt
      revoked
    }
  }
`);

const CreateTokenMutation = graphql(`
  mutation AccountCreateToken($name: String!, $scopes: [TokenScope!]!, $expiresInDays: Int) {
    createApiToken(name: $name, scopes: $scopes, expiresInDays: $expiresInDays) {
      token
      apiToken {
        id
        name
      }
      errors {
        ...MutationProblemFields
      }
    }
  }
`);

const RevokeTokenMutation = graphql(`
  mutation AccountRevokeToken($id: ID!) {
    revokeApiToken(id: $id) {
      revoked
    }
  }
`);

const STATE_TONE: Record<TokenState, Tone> = { active: 'success', expired: 'warning', revoked: 'neutral' };
const FIELDS = ['name', 'scopes', 'expiresInDays'];

/** The secret of a token just made: shown this once, with a copy button. */
function NewSecret({ name, secret, onDone }: { name: string; secret: string; onDone: () => void }) {
  const t = useT();
  return (
    <div className="space-y-3" data-testid="new-token">
      <Notice tone="success" title={t('account.tokens.created', { name })}>
        <p>{t('account.tokens.shownOnce')}</p>
      </Notice>
      <Field label={t('account.tokens.secret')}>
        {(props) => <input {...props} readOnly value={secret} onFocus={(e) => e.target.select()} className={`${inputClass} font-mono`} />}
      </Field>
      <div className="flex flex-wrap items-center gap-2">
        <CopyButton text={secret} />
        <Button onClick={onDone}>{t('account.tokens.done')}</Button>
      </div>
    </div>
  );
}

/** The user's API tokens: the list, a new one (its secret shown once), revoking one. */
export function ApiTokens({ credential, scopes: held, totpEnabled }: { credential: string; scopes: readonly TokenScope[]; totpEnabled: boolean }) {
  const t = useT();
  const format = useFormat();
  const [{ data, fetching, error }, refetch] = useQuery({ query: TokensQuery, requestPolicy: 'network-only' });
  const [values, setValues] = useState<TokenFormValues>(emptyTokenForm);
  const { form, errors, other, failure, clear, check, answer } = useFormProblems();
  const [created, setCreated] = useState<{ name: string; secret: string } | null>(null);
  const [stepUp, setStepUp] = useState(false);
  const [createState, create] = useMutation(CreateTokenMutation);
  const [, revoke] = useMutation(RevokeTokenMutation);
  // the attempt a step-up retries: the same input again
  const attempt = useRef<TokenInput | null>(null);
  const current = credentialTokenId(credential);
  const refresh = () => refetch({ requestPolicy: 'network-only' });
  const revoking = useItemAction((id) => revoke({ id }), refresh);

  async function send() {
    const input = attempt.current;
    if (!input) return;
    clear();
    revoking.reset();
    const result = await create(input);
    if (errorCode(result.error) === 'STEP_UP_REQUIRED') {
      setStepUp(true);
      return;
    }
    attempt.current = null;
    const payload = answer(result, (data) => data.createApiToken, FIELDS);
    if (!payload?.token) return;
    setCreated({ name: payload.apiToken?.name ?? input.name, secret: payload.token });
    setValues(emptyTokenForm);
    refresh();
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    const built = buildTokenInput(values, held);
    if (!check(localMessages(built.errors, t), built.input !== null) || !built.input) return;
    attempt.current = built.input;
    await send();
  }

  const requestError = revoking.last ? revoking.last.error : failure;
  const tokens = sortTokens(data?.apiTokens ?? []);
  return (
    <Card title={t('account.tokens.title')}>
      <div className="space-y-4">
        <p className="text-sm text-slate-700 dark:text-slate-300">{t('account.tokens.explain')}</p>
        {!totpEnabled && <Notice>{t('account.tokens.needsTotp')}</Notice>}
        {created ? (
          <NewSecret name={created.name} secret={created.secret} onDone={() => setCreated(null)} />
        ) : (
          <form ref={form} onSubmit={submit} noValidate className="space-y-4" aria-label={t('account.tokens.new')}>
            <Field label={t('account.tokens.name')} hint={t('account.tokens.nameHint')} error={errors.name} required>
              {(props) => (
                <input {...props} value={values.name} maxLength={100} onChange={(e) => setValues({ ...values, name: e.target.value })} className={inputClass} />
              )}
            </Field>
            <fieldset className="space-y-2" aria-describedby={errors.scopes ? 'token-scopes-error' : undefined}>
              <legend className="text-sm font-medium">{t('account.tokens.scopes')}</legend>
              {TOKEN_SCOPES.map((scope) => (
                <Field key={scope} label={t(`account.scope.${scope}`)} inline>
                  {(props) => (
                    <input
                      {...props}
                      type="checkbox"
                      className="h-4 w-4"
                      disabled={!held.includes(scope)}
                      checked={values.scopes.includes(scope)}
                      onChange={(e) =>
                        setValues({ ...values, scopes: e.target.checked ? [...values.scopes, scope] : values.scopes.filter((s) => s !== scope) })
                      }
                    />
                  )}
                </Field>
              ))}
              {errors.scopes && (
                <p id="token-scopes-error" className="text-sm font-medium text-red-700 dark:text-red-400">
                  {errors.scopes}
                </p>
              )}
            </fieldset>
            <Field label={t('account.tokens.expires')} hint={t('account.tokens.expiresHint')} note={`(${t('commands.optional')})`} error={errors.expiresInDays}>
              {(props) => (
                <input
                  {...props}
                  type="text"
                  inputMode="numeric"
                  value={values.expiresInDays}
                  onChange={(e) => setValues({ ...values, expiresInDays: e.target.value })}
                  className={`${inputClass} max-w-32`}
                />
              )}
            </Field>
            {other.length > 0 && (
              <Notice tone="error">
                {other.map((problem) => (
                  <p key={problem}>{problem}</p>
                ))}
              </Notice>
            )}
            <Button type="submit" busy={createState.fetching}>
              {t('account.tokens.create')}
            </Button>
          </form>
        )}
        {requestError && <AccountError error={requestError} />}

        <div>
          <h3 className="mb-2 text-sm font-semibold">{t('account.tokens.list')}</h3>
          {error && <AccountError error={error} />}
          {!data && fetching && <Loading label={t('app.loading')} />}
          {data && tokens.length === 0 && <p className="text-sm">{t('account.tokens.none')}</p>}
          <ul className="divide-y divide-slate-200 text-sm dark:divide-slate-800" aria-label={t('account.tokens.list')}>
            {tokens.map((token) => {
              const state = tokenState(token);
              const inUse = token.id === current;
              return (
                <li key={token.id} className="flex flex-wrap items-center gap-2 py-2" data-token-id={token.id} data-state={state}>
                  <span className="font-medium break-all">{token.name}</span>
                  <Badge tone={STATE_TONE[state]}>{t(`account.tokenState.${state}`)}</Badge>
                  {TOKEN_SCOPES.filter((scope) => token.scopes.includes(scope)).map((scope) => (
                    <Badge key={scope}>{t(`account.scope.${scope}`)}</Badge>
                  ))}
                  {inUse && <Badge tone="info">{t('account.tokens.inUse')}</Badge>}
                  <span className="basis-full text-xs text-slate-600 dark:text-slate-400">
                    {t('account.tokens.createdAt', { when: format.dateTime(token.createdAt) })}
                    {' · '}
                    {token.expiresAt ? t('account.tokens.expiresAt', { when: format.dateTime(token.expiresAt) }) : t('account.tokens.never')}
                    {' · '}
                    {token.lastUsedAt ? t('account.tokens.lastUsed', { when: format.dateTime(token.lastUsedAt) }) : t('account.tokens.unused')}
                  </span>
                  {state === 'active' && (
                    <ConfirmButton
                      label={t('account.tokens.revoke')}
                      accessibleLabel={t('account.tokens.revokeNamed', { name: token.name })}
                      title={inUse ? t('account.tokens.revokeInUse', { name: token.name }) : t('account.tokens.revokeQuestion', { name: token.name })}
                      confirmLabel={t('account.tokens.revokeConfirm')}
                      cancelLabel={t('account.cancel')}
                      busy={revoking.busy === token.id}
                      onConfirm={() => revoking.run(token.id)}
                    />
                  )}
                </li>
              );
            })}
          </ul>
        </div>
      </div>
      <StepUpDialog
        open={stepUp}
        explain={t('account.stepUp.explain')}
        submitLabel={t('account.stepUp.verify')}
        onCancel={() => {
          setStepUp(false);
          attempt.current = null;
        }}
        onVerified={() => {
          setStepUp(false);
          void send();
        }}
      />
    </Card>
  );
}
