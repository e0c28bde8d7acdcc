import { useT } from '../lib/context';
import { Button } from './Button';

/** Previous / next over a cursor-paged list. */
export function Pager({ page, hasPrevious, hasNext, onPrevious, onNext }: { page: number; hasPrevious: boolean; hasNext: boolean; onPrevious: () => void; onNext: () => void }) {
  const t = useT();
  if (!hasPrevious && !hasNext) return null;
  return (
    <nav aria-label={t('paging.label')} className="mt-4 flex items-center gap-3">
      <Button variant="secondary" disabled={!hasPrevious} onClick={onPrevious}>
        {t('paging.previous')}
      </Button>
      <span className="text-sm text-slate-600 dark:text-slate-400">{t('paging.page', { page })}</span>
      <Button variant="secondary" disabled={!hasNext} onClick={onNext}>
        {t('paging.next')}
      </Button>
    </nav>
  );
}
