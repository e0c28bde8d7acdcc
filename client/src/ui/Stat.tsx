import { useEffect, useRef, type ReactNode } from 'react';

/** A list of figures: a <dl> whose entries are Stats. */
export function StatList({ children, className = '' }: { children: ReactNode; className?: string }) {
  return <dl className={`grid grid-cols-2 gap-x-4 gap-y-3 sm:grid-cols-3 ${className}`}>{children}</dl>;
}

export interface StatProps {
  label: ReactNode;
  value: string;
  /** A line under the value: when it was measured, a unit note. */
  hint?: ReactNode;
  /** Telemetry field name, for tests and tools (data-signal). */
  signal?: string;
  /** Flash briefly when the value changes (live values). */
  flash?: boolean;
  /** Take the whole row (long values: positions, door lists). */
  wide?: boolean;
}

/** One figure: its label and value. Changes flash, unless the user asked for reduced motion. */
export function Stat({ label, value, hint, signal, flash = false, wide = false }: StatProps) {
  const ref = useRef<HTMLElement>(null);
  const previous = useRef(value);
  useEffect(() => {
    if (!flash || previous.current === value) return;
    previous.current = value;
    if (window.matchMedia?.('(prefers-reduced-motion: reduce)').matches) return;
    ref.current?.animate?.([{ backgroundColor: 'rgb(251 191 36 / 0.35)' }, { backgroundColor: 'transparent' }], {
      duration: 900,
      easing: 'ease-out',
    });
  }, [value, flash]);
  return (
    <div className={`min-w-0 ${wide ? 'col-span-full' : ''}`} data-signal={signal}>
      <dt className="text-sm text-slate-600 dark:text-slate-400">{label}</dt>
      <dd ref={ref} className={`rounded text-lg font-semibold tabular-nums ${wide ? 'break-words' : 'truncate'}`} data-value>
        {value}
      </dd>
      {hint && <dd className="text-xs text-slate-600 dark:text-slate-400">{hint}</dd>}
    </div>
  );
}
