import { useId, type ReactNode } from 'react';

export interface FieldRenderProps {
  id: string;
  'aria-describedby'?: string;
  'aria-invalid'?: true;
  'aria-required'?: true;
}

export interface FieldProps {
  label: ReactNode;
  hint?: ReactNode;
  error?: string | null;
  required?: boolean;
  /** A mark after the label, e.g. "(optional)". */
  note?: ReactNode;
  /** Renders the control with the ids that tie it to its label, hint and error. */
  children: (props: FieldRenderProps) => ReactNode;
  /** A checkbox puts its label beside the box. */
  inline?: boolean;
}

export const inputClass =
  'block w-full rounded-md border border-slate-400 bg-white px-3 py-2 text-sm text-slate-900 placeholder:text-slate-500 aria-[invalid=true]:border-red-600 dark:border-slate-600 dark:bg-slate-900 dark:text-slate-100';

/** A labelled form control with its hint and its error, announced by screen readers with the control. */
export function Field({ label, hint, error, required = false, note, children, inline = false }: FieldProps) {
  const id = useId();
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = error ? `${id}-error` : undefined;
  const describedBy = [errorId, hintId].filter(Boolean).join(' ') || undefined;
  const control = children({
    id,
    ...(describedBy ? { 'aria-describedby': describedBy } : {}),
    ...(error ? { 'aria-invalid': true as const } : {}),
    ...(required ? { 'aria-required': true as const } : {}),
  });
  const labelText = (
    <>
      {label}
      {note && <span className="ml-1 font-normal text-slate-600 dark:text-slate-400">{note}</span>}
    </>
  );
  return (
    <div className="space-y-1">
      {inline ? (
        <div className="flex items-center gap-2">
          {control}
          <label htmlFor={id} className="text-sm font-medium">
            {labelText}
          </label>
        </div>
      ) : (
        <>
          <label htmlFor={id} className="block text-sm font-medium">
            {labelText}
          </label>
          {control}
        </>
      )}
      {error && (
        <p id={errorId} className="text-sm font-medium text-red-700 dark:text-red-400">
          {error}
        </p>
      )}
      {hint && (
        <p id={hintId} className="text-xs text-slate-600 dark:text-slate-400">
          {hint}
        </p>
      )}
    </div>
  );
}
