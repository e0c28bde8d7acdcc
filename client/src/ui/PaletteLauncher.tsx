import { lazy, Suspense, useCallback, useEffect, useState } from 'react';
import { useT } from '../lib/context';
import { isApple, isPaletteShortcut, shortcutLabel } from '../lib/palette';

// the palette itself is a chunk of its own, loaded the first time it opens
const CommandPalette = lazy(() => import('./CommandPalette'));

/** The header's search button and the Ctrl+K / ⌘K shortcut that open the command palette. */
export function PaletteLauncher() {
  const t = useT();
  const [open, setOpen] = useState(false);
  const [loaded, setLoaded] = useState(false);
  const show = useCallback(() => {
    setLoaded(true);
    setOpen(true);
  }, []);
  const close = useCallback(() => setOpen(false), []);

  const platform = typeof navigator === 'undefined' ? '' : navigator.platform;
  useEffect(() => {
    function onKey(event: KeyboardEvent) {
      if (!isPaletteShortcut(event, platform)) return;
      event.preventDefault();
      setLoaded(true);
      setOpen((previous) => !previous);
    }
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [platform]);

  const keys = shortcutLabel(platform);
  return (
    <>
      <button
        type="button"
        onClick={show}
        aria-haspopup="dialog"
        aria-keyshortcuts={isApple(platform) ? 'Meta+K' : 'Control+K'}
        aria-label={t('palette.open')}
        title={`${t('palette.open')} (${keys})`}
        className="inline-flex min-h-10 items-center gap-2 rounded-md border border-slate-300 px-3 py-2 text-sm text-slate-700 hover:bg-slate-100 dark:border-slate-700 dark:text-slate-200 dark:hover:bg-slate-800"
      >
        <svg aria-hidden="true" viewBox="0 0 20 20" className="size-4" fill="none" stroke="currentColor" strokeWidth="2">
          <circle cx="9" cy="9" r="6" />
          <path d="m14 14 4 4" strokeLinecap="round" />
        </svg>
        <span className="hidden md:inline">{t('palette.search')}</span>
        <kbd className="hidden rounded border border-slate-300 px-1 font-sans text-xs text-slate-500 md:inline dark:border-slate-600 dark:text-slate-400">{keys}</kbd>
      </button>
      {loaded && (
        <Suspense fallback={null}>
          <CommandPalette open={open} onClose={close} />
        </Suspense>
      )}
    </>
  );
}
