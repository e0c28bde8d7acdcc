import { useId, type ReactNode } from 'react';

export interface CardProps {
  title?: ReactNode;
  /** Beside the title: a badge, a link. */
  actions?: ReactNode;
  children: ReactNode;
  className?: string;
  /** Heading level of the title (default 2). */
  level?: 2 | 3;
}

/** A section with an optional heading that names it for assistive technology. */
export function Card({ title, actions, children, className = '', level = 2 }: CardProps) {
  const id = useId();
  const Heading = level === 2 ? 'h2' : 'h3';
  return (
    <section
      aria-labelledby={title ? id : undefined}
      className={`rounded-lg border border-slate-200 bg-white p-4 shadow-sm dark:border-slate-800 dark:bg-slate-900 ${className}`}
    >
      {(title || actions) && (
        <div className="mb-3 flex flex-wrap items-center justify-between gap-2">
          {title && (
            <Heading id={id} className="text-base font-semibold">
              {title}
            </Heading>
          )}
          {actions}
        </div>
      )}
      {children}
    </section>
  );
}
