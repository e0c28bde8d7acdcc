import { useEffect, useState } from 'react';
import { useT } from '../lib/context';
import { Button } from './Button';

/** Copies `text` to the clipboard and says whether it worked (beside the button, politely announced). */
export function CopyButton({ text, label }: { text: string; label?: string }) {
  const t = useT();
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  useEffect(() => {
    if (state !== 'copied') return;
    const timer = setTimeout(() => setState('idle'), 3000);
    return () => clearTimeout(timer);
  }, [state]);
  async function copy() {
    try {
      await navigator.clipboard.writeText(text);
      setState('copied');
    } catch {
      // no clipboard (plain http, permission refused): the text is on the page to select
      setState('failed');
    }
  }
  return (
    <span className="inline-flex flex-wrap items-center gap-2">
      <Button variant="secondary" className="min-h-8 px-3 py-1" onClick={() => void copy()}>
        {label ?? t('copy.copy')}
      </Button>
      <span role="status" className="text-xs text-slate-600 dark:text-slate-400">
        {state === 'copied' ? t('copy.copied') : state === 'failed' ? t('copy.failed') : ''}
      </span>
    </span>
  );
}
