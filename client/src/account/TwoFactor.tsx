import { useState, type FormEvent } from 'react';
import { useMutation, type CombinedError } from 'urql';
import { graphql } from '../gql';
import { groupSecret, normalizeCode, svgDataUrl, validTotpCode } from '../lib/account';
import { errorCode } from '../lib/api';
import { useT } from '../lib/context';
import { Badge } from '../ui/Badge';
import { Button } from '../ui/Button';
import { Card } from '../ui/Card';
import { ConfirmButton } from '../ui/ConfirmDialog';
import { CopyButton } from '../ui/CopyButton';
import { Notice } from '../ui/Notice';
import { StepUpDialog } from '../ui/StepUpDialog';
import { TotpCodeField } from '../ui/TotpCodeField';
import { AccountError } from './AccountError';

const StartTotpMutation = graphql(`
  mutation AccountStartTotp {
    startTotpEnrolment {
      otpauthUri
      qrSvg
      secret
    }
  }
`);

const ConfirmTotpMutation = graphql(`
  mutation AccountConfirmTotp($code: String!) {
    confirmTotpEnrolment(code: $code) {
      recoveryCodes
      stepUpUntil
    }
  }
`);

const DisableTotpMutation = graphql(`
  mutation AccountDisableTotp {
    disableTotp
  }
`);

const RecoveryCodesMutation = graphql(`
  mutation AccountRecoveryCodes {
    regenerateRecoveryCodes
  }
`);

interface Enrolment {
  otpauthUri: string;
  qrSvg: string;
  secret: string;
}

type SensitiveAction = 'disable' | 'codes';

/** The recovery codes, shown once: after enrolment, or new ones. */
function RecoveryCodes({ codes, onDone }: { codes: string[]; onDone: () => void }) {
  const t = useT();
  return (
    <div className="space-y-3" data-testid="recovery-codes">
      <Notice tone="success" title={t('account.totp.codesTitle')}>
        <p>{t('account.totp.codesExplain')}</p>
      </Notice>
      <ol className="grid grid-cols-2 gap-2 font-mono text-sm sm:grid-cols-3">
        {codes.map((code) => (
          <li key={code} className="rounded bg-slate-100 px-2 py-1 text-center dark:bg-slate-800">
            {code}
          </li>
        ))}
      </ol>
      <div className="flex flex-wrap items-center gap-2">
        <CopyButton text={codes.join('\n')} label={t('account.totp.copyCodes')} />
        <Button onClick={onDone}>{t('account.totp.codesSaved')}</Button>
      </div>
    </div>
  );
}

/**
 * Two-factor authentication (TOTP): its state; enrolment (the QR code as a picture, the secret to type, the
 * first code, then the recovery codes once); new recovery codes and turning it off, each after a step-up.
 */
export function TwoFactor({ enabled, onChanged }: { enabled: boolean; onChanged: () => void }) {
  const t = useT();
  const [enrolment, setEnrolment] = useState<Enrolment | null>(null);
  const [code, setCode] = useState('');
  const [codeError, setCodeError] = useState<string | null>(null);
  const [recoveryCodes, setRecoveryCodes] = useState<string[] | null>(null);
  const [error, setError] = useState<CombinedError | null>(null);
  const [stepUp, setStepUp] = useState<SensitiveAction | null>(null);
  const [startState, start] = useMutation(StartTotpMutation);
  const [confirmState, confirm] = useMutation(ConfirmTotpMutation);
  const [disableState, disable] = useMutation(DisableTotpMutation);
  const [codesState, regenerate] = useMutation(RecoveryCodesMutation);

  async function begin() {
    setError(null);
    const result = await start({});
    if (result.error) setError(result.error);
    else if (result.data) {
      setEnrolment(result.data.startTotpEnrolment);
      setCode('');
      setCodeError(null);
    }
  }

  async function submitCode(event: FormEvent) {
    event.preventDefault();
    setError(null);
    if (!validTotpCode(code)) {
      setCodeError(t('account.totp.sixDigits'));
      return;
    }
    setCodeError(null);
    const result = await confirm({ code: normalizeCode(code) });
    if (result.error) {
      const why = errorCode(result.error);
      if (why === 'TOTP_INVALID') setCodeError(t('stepUp.invalid'));
      else if (why === 'TOTP_REPLAYED') setCodeError(t('stepUp.replayed'));
      else setError(result.error);
      return;
    }
    if (result.data) {
      setEnrolment(null);
      setRecoveryCodes(result.data.confirmTotpEnrolment.recoveryCodes);
      onChanged();
    }
  }

  /** A sensitive action: asks for a code first when the API says so, then runs again. */
  async function run(action: SensitiveAction) {
    setError(null);
    const result = action === 'disable' ? await disable({}) : await regenerate({});
    if (result.error) {
      if (errorCode(result.error) === 'STEP_UP_REQUIRED') setStepUp(action);
      else setError(result.error);
      return;
    }
    if (action === 'disable' && result.data) {
      setRecoveryCodes(null);
      onChanged();
    } else if (result.data && 'regenerateRecoveryCodes' in result.data) {
      setRecoveryCodes(result.data.regenerateRecoveryCodes);
    }
  }

  const qr = enrolment ? svgDataUrl(enrolment.qrSvg) : null;
  return (
    <Card
      title={t('account.totp.title')}
      actions={
        <Badge tone={enabled ? 'success' : 'neutral'} label={t('account.totp.stateLabel', { state: enabled ? t('account.totp.on') : t('account.totp.off') })}>
          {enabled ? t('account.totp.on') : t('account.totp.off')}
        </Badge>
      }
    >
      <div className="space-y-4" data-testid="totp" data-enabled={enabled}>
        <p className="text-sm text-slate-700 dark:text-slate-300">{t('account.totp.explain')}</p>
        {error && <AccountError error={error} />}
        {recoveryCodes && <RecoveryCodes codes={recoveryCodes} onDone={() => setRecoveryCodes(null)} />}

        {!enabled && !enrolment && !recoveryCodes && (
          <Button onClick={() => void begin()} busy={startState.fetching}>
            {t('account.totp.start')}
          </Button>
        )}

        {!enabled && enrolment && (
          <div className="space-y-4">
            <ol className="list-decimal space-y-4 pl-5 text-sm">
              <li className="space-y-2">
                <p>{t('account.totp.scan')}</p>
                {qr ? (
                  <img src={qr} alt={t('account.totp.qrAlt')} width={180} height={180} className="size-44 rounded-md bg-white p-2 ring-1 ring-slate-300" data-testid="totp-qr" />
                ) : (
                  <p>{t('account.totp.noQr')}</p>
                )}
                <p>
                  <a href={enrolment.otpauthUri} className="font-medium text-blue-800 underline dark:text-blue-300">
                    {t('account.totp.openApp')}
                  </a>
                </p>
              </li>
              <li className="space-y-2">
                <p>{t('account.totp.typeSecret')}</p>
                <p className="flex flex-wrap items-center gap-2">
                  <code data-testid="totp-secret" className="rounded bg-slate-100 px-2 py-1 font-mono text-sm break-all dark:bg-slate-800">
                    {groupSecret(enrolment.secret)}
                  </code>
                  <CopyButton text={enrolment.secret} />
                </p>
              </li>
              <li>
                <form onSubmit={submitCode} noValidate className="space-y-3">
                  <TotpCodeField
                    label={t('account.totp.code')}
                    hint={t('account.totp.codeHint')}
                    error={codeError}
                    value={code}
                    onChange={setCode}
                    maxLength={9}
                    width="max-w-40"
                  />
                  <div className="flex flex-wrap gap-2">
                    <Button type="submit" busy={confirmState.fetching}>
                      {t('account.totp.confirm')}
                    </Button>
                    <Button variant="secondary" onClick={() => setEnrolment(null)}>
                      {t('account.cancel')}
                    </Button>
                  </div>
                </form>
              </li>
            </ol>
          </div>
        )}

        {enabled && !recoveryCodes && (
          <div className="flex flex-wrap items-center gap-2">
            <Button variant="secondary" className="min-h-8 px-3 py-1" busy={codesState.fetching} onClick={() => void run('codes')}>
              {t('account.totp.newCodes')}
            </Button>
            <ConfirmButton
              label={t('account.totp.disable')}
              title={t('account.totp.disableQuestion')}
              confirmLabel={t('account.totp.disableConfirm')}
              cancelLabel={t('account.cancel')}
              busy={disableState.fetching}
              onConfirm={() => void run('disable')}
            />
          </div>
        )}
      </div>
      <StepUpDialog
        open={stepUp !== null}
        explain={t('account.stepUp.explain')}
        submitLabel={t('account.stepUp.verify')}
        onCancel={() => setStepUp(null)}
        onVerified={() => {
          const action = stepUp;
          setStepUp(null);
          if (action) void run(action);
        }}
      />
    </Card>
  );
}
