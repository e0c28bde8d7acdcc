import type { ReactNode } from 'react';
import { Link } from 'react-router';
import type { CombinedError } from 'urql';
import { errorCode, errorExtension } from '../lib/api';
import { useT } from '../lib/context';
import { Button } from './Button';
import { Notice } from './Notice';

/** A failed request explained: what the code means and what to do, with a way to try again. */
export function ApiError({ error, retry }: { error: CombinedError; retry?: () => void }) {
  const t = useT();
  const code = errorCode(error);
  let text: ReactNode;
  switch (code) {
    case 'NETWORK':
      text = t('errors.network');
      break;
    case 'UNAUTHENTICATED':
      text = <Link to="/settings" className="underline">{t('errors.unauthenticated')}</Link>;
      break;
    case 'FORBIDDEN':
      text = t('errors.forbidden');
      break;
    case 'NOT_FOUND':
      text = t('errors.notFound');
      break;
    case 'RATE_LIMITED':
      text = t('errors.rateLimited', { seconds: Number(errorExtension(error, 'retryAfter') ?? 1) });
      break;
    default:
      text = t('errors.generic', { message: error.graphQLErrors[0]?.message ?? error.message });
  }
  return (
    <Notice tone="error" title={t('errors.title')}>
      <p>{text}</p>
      {retry && (
        <Button variant="secondary" className="mt-2" onClick={retry}>
          {t('app.retry')}
        </Button>
      )}
    </Notice>
  );
}
