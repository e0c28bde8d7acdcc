import { useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { Button, type ButtonProps } from './Button';

export interface ConfirmDialogProps {
  open: boolean;
  /** The question, e.g. "Delete the rule “Night charge”?": the dialog's accessible name. */
  title: string;
  /** What it means, read with the question (its accessible description). */
  children?: ReactNode;
  confirmLabel: string;
  cancelLabel: string;
  busy?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}

/**
 * The app's one confirmation: a modal question before something that cannot be undone (a native <dialog>:
 * focus stays inside, Escape cancels). Focus starts on Cancel, the safe choice; closing returns it where it
 * was (the button that asked).
 */
export function ConfirmDialog({ open, title, children, confirmLabel, cancelLabel, busy = false, onConfirm, onCancel }: ConfirmDialogProps) {
  const dialog = useRef<HTMLDialogElement>(null);
  const id = useId();
  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    if (open && !element.open) {
      element.showModal?.();
      element.querySelector<HTMLButtonElement>('[data-cancel]')?.focus();
    } else if (!open && element.open) element.close();
  }, [open]);
  return (
    <dialog
      ref={dialog}
      aria-labelledby={`${id}-title`}
      aria-describedby={children ? `${id}-body` : undefined}
      onCancel={(e) => {
        e.preventDefault();
        onCancel();
      }}
      className="m-auto w-[calc(100%-2rem)] max-w-md rounded-lg p-0 text-left font-normal text-slate-900 backdrop:bg-slate-900/60 dark:bg-slate-900 dark:text-slate-100"
    >
      <div className="space-y-4 p-6">
        <h2 id={`${id}-title`} className="text-lg font-semibold">
          {title}
        </h2>
        {children && (
          <div id={`${id}-body`} className="text-sm">
            {children}
          </div>
        )}
        <div className="flex flex-wrap justify-end gap-2">
          <Button data-cancel variant="secondary" onClick={onCancel}>
            {cancelLabel}
          </Button>
          <Button variant="danger" busy={busy} onClick={onConfirm}>
            {confirmLabel}
          </Button>
        </div>
      </div>
    </dialog>
  );
}

export interface ConfirmButtonProps extends Omit<ConfirmDialogProps, 'open' | 'onConfirm' | 'onCancel'> {
  /** The button that asks, e.g. "Delete". */
  label: string;
  /** Its accessible name when the label alone is ambiguous in a list, e.g. "Delete: Night charge". */
  accessibleLabel?: string;
  variant?: ButtonProps['variant'];
  className?: string;
  /** Done when confirmed; the dialog stays open (busy) until it settles, then closes. */
  onConfirm: () => unknown;
}

/** A button for something that cannot be undone, which asks first with a ConfirmDialog. */
export function ConfirmButton({ label, accessibleLabel, variant = 'secondary', className = 'min-h-8 px-3 py-1', onConfirm, busy = false, ...dialog }: ConfirmButtonProps) {
  const [open, setOpen] = useState(false);
  const [settling, setSettling] = useState(false);
  const mounted = useRef(true);
  useEffect(
    () => () => {
      mounted.current = false;
    },
    [],
  );
  return (
    <>
      <Button variant={variant} className={className} aria-label={accessibleLabel} onClick={() => setOpen(true)}>
        {label}
      </Button>
      <ConfirmDialog
        {...dialog}
        open={open}
        busy={busy || settling}
        onCancel={() => setOpen(false)}
        onConfirm={async () => {
          setSettling(true);
          try {
            await onConfirm();
          } finally {
            // the thing asked about may be gone with this button (deleted): nothing left to close
            if (mounted.current) {
              setSettling(false);
              setOpen(false);
            }
          }
        }}
      />
    </>
  );
}
