import { Link } from 'react-router';
import type { CombinedError } from 'urql';
import { errorCode } from '../lib/api';
import { useT } from '../lib/context';
import { ApiError } from './ApiError';
import { Notice } from './Notice';

/**
 * A failed read of data that belongs to a user (notifications, automations): the error with a retry and,
 * when the caller is no user (FORBIDDEN, as demo mode's anonymous access is), where to become one.
 */
export function UserDataError({ error, retry }: { error: CombinedError | undefined; retry: () => void }) {
  const t = useT();
  if (!error) return null;
  return (
    <>
      <ApiError error={error} retry={retry} />
      {errorCode(error) === 'FORBIDDEN' && (
        <div className="mt-2">
          <Notice>
            <Link to="/settings" className="underline">
              {t('notifications.needsUser')}
            </Link>
          </Notice>
        </div>
      )}
    </>
  );
}
