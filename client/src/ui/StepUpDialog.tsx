import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { useMutation } from 'urql';
import { graphql } from '../gql';
import { errorCode } from '../lib/api';
import { useT } from '../lib/context';
import { Button } from './Button';
import { TotpCodeField } from './TotpCodeField';

const VerifyTotpMutation = graphql(`
  mutation VerifyTotp($code: String!) {
    verifyTotp(code: $code) {
      until
    }
  }
`);

export interface StepUpDialogProps {
  open: boolean;
  /** The code was accepted: do again what asked for it. */
  onVerified: () => void;
  onCancel: () => void;
  /** Why a code is asked for (default: a sensitive command). */
  explain?: string;
  /** The submit button (default: "Verify and send"). */
  submitLabel?: string;
}

/**
 * The step-up prompt for an operation the API refused with STEP_UP_REQUIRED: a TOTP (or recovery) code is
 * verified (`verifyTotp`), then the caller retries the same operation.
 */
export function StepUpDialog({ open, onVerified, onCancel, explain, submitLabel }: StepUpDialogProps) {
  const t = useT();
  const titleId = useId();
  const dialog = useRef<HTMLDialogElement>(null);
  const [code, setCode] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [{ fetching }, verify] = useMutation(VerifyTotpMutation);
  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    if (open && !element.open) {
      setCode('');
      setProblem(null);
      element.showModal?.();
    } else if (!open && element.open) element.close();
  }, [open]);

  async function submit(event: FormEvent) {
    event.preventDefault();
    event.stopPropagation();
    if (!code.trim()) {
      setProblem(t('validation.required'));
      return;
    }
    const result = await verify({ code: code.trim() });
    if (result.data?.verifyTotp) {
      onVerified();
      return;
    }
    const why = errorCode(result.error);
    setProblem(
      why === 'TOTP_INVALID'
        ? t('stepUp.invalid')
        : why === 'TOTP_REPLAYED'
          ? t('stepUp.replayed')
          : why === 'TOTP_ENROLMENT_REQUIRED'
            ? t('stepUp.enrol')
            : t('errors.generic', { message: result.error?.graphQLErrors[0]?.message ?? result.error?.message ?? '' }),
    );
  }

  return (
    <dialog
      ref={dialog}
      aria-labelledby={titleId}
      onCancel={onCancel}
      className="m-auto w-full max-w-md rounded-lg p-0 backdrop:bg-slate-900/60 dark:bg-slate-900 dark:text-slate-100"
    >
      <form onSubmit={submit} noValidate className="space-y-4 p-6">
        <h2 id={titleId} className="text-lg font-semibold">
          {t('stepUp.title')}
        </h2>
        <p className="text-sm">{explain ?? t('stepUp.explain')}</p>
        <TotpCodeField label={t('stepUp.code')} error={problem} value={code} onChange={setCode} width="max-w-48" />
        <div className="flex justify-end gap-2">
          <Button variant="secondary" onClick={onCancel}>
            {t('stepUp.cancel')}
          </Button>
          <Button type="submit" busy={fetching}>
            {submitLabel ?? t('stepUp.verify')}
          </Button>
        </div>
      </form>
    </dialog>
  );
}
