import type { CombinedError } from 'urql';
import type { MessageKey } from '../i18n/en';
import { errorCode } from '../lib/api';
import { useT } from '../lib/context';
import { ApiError } from '../ui/ApiError';
import { Notice } from '../ui/Notice';

// the account's own error codes in words; the rest as every page shows them (ApiError)
const CODES: Partial<Record<string, MessageKey>> = {
  TOTP_INVALID: 'stepUp.invalid',
  TOTP_REPLAYED: 'stepUp.replayed',
  TOTP_ENROLMENT_REQUIRED: 'account.errors.enrolFirst',
  STEP_UP_REQUIRED: 'account.errors.stepUp',
  TESLA_UNAVAILABLE: 'account.errors.teslaUnavailable',
};

export function AccountError({ error }: { error: CombinedError }) {
  const t = useT();
  const code = errorCode(error);
  const key = code ? CODES[code] : undefined;
  if (!key) return <ApiError error={error} />;
  return (
    <Notice tone="error" title={t('errors.title')}>
      <p data-code={code}>{t(key)}</p>
    </Notice>
  );
}
