import { useSyncExternalStore } from 'react';
import { useT } from '../lib/context';
import { applyUpdate, updateStore } from '../lib/pwa';
import { Button } from './Button';

/** A new build of the app is installed and waits: say so, and switch to it when asked. */
export function UpdateNotice() {
  const t = useT();
  const waiting = useSyncExternalStore(updateStore.subscribe, updateStore.get, () => null);
  if (!waiting) return null;
  return (
    <div role="status" className="border-b border-blue-300 bg-blue-50 text-blue-900 dark:border-blue-800 dark:bg-blue-950 dark:text-blue-100">
      <div className="mx-auto flex max-w-6xl flex-wrap items-center gap-3 px-4 py-2 text-sm">
        <p>{t('pwa.update')}</p>
        <Button variant="secondary" onClick={applyUpdate}>
          {t('pwa.reload')}
        </Button>
      </div>
    </div>
  );
}
