import { useState, type FormEvent } from 'react';
import { useT } from '../lib/context';
import { Button } from './Button';
import { Field, inputClass } from './Field';

export interface DateRangeValue {
  from: string;
  to: string;
}

/** Two date inputs (each whole day in the user's time zone) and Apply / Clear. */
export function DateRangeFilter({ value, onChange }: { value: DateRangeValue; onChange: (value: DateRangeValue) => void }) {
  const t = useT();
  const [draft, setDraft] = useState(value);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onChange(draft);
  };
  return (
    <form onSubmit={submit} aria-label={t('filter.label')} className="mb-4 flex flex-wrap items-end gap-3">
      <div className="w-40">
        <Field label={t('filter.from')}>
          {(props) => <input {...props} type="date" className={inputClass} value={draft.from} max={draft.to || undefined} onChange={(e) => setDraft({ ...draft, from: e.target.value })} />}
        </Field>
      </div>
      <div className="w-40">
        <Field label={t('filter.to')}>
          {(props) => <input {...props} type="date" className={inputClass} value={draft.to} min={draft.from || undefined} onChange={(e) => setDraft({ ...draft, to: e.target.value })} />}
        </Field>
      </div>
      <Button type="submit" variant="secondary">
        {t('filter.apply')}
      </Button>
      {(value.from || value.to) && (
        <Button
          variant="ghost"
          onClick={() => {
            setDraft({ from: '', to: '' });
            onChange({ from: '', to: '' });
          }}
        >
          {t('filter.clear')}
        </Button>
      )}
    </form>
  );
}
