import { useEffect, useRef, useState } from 'react';
import { Button } from './Button';

export interface ConfirmActionProps {
  /** The button that asks, e.g. "Revoke". */
  label: string;
  /** Its accessible name when the label alone is ambiguous in a list, e.g. "Revoke “Home Assistant”". */
  accessibleLabel?: string;
  /** The question, e.g. "Revoke “Home Assistant”? Apps using it stop working." */
  question: string;
  /** The button that does it, e.g. "Yes, revoke". */
  confirmLabel: string;
  cancelLabel: string;
  busy?: boolean;
  onConfirm: () => void;
}

/**
 * A destructive action that asks first, in place: the question with a confirm and a cancel button. Focus
 * moves to Cancel (the safe choice), and back to the first button when cancelled.
 */
export function ConfirmAction({ label, accessibleLabel, question, confirmLabel, cancelLabel, busy = false, onConfirm }: ConfirmActionProps) {
  const [asking, setAsking] = useState(false);
  const box = useRef<HTMLDivElement>(null);
  const wasAsking = useRef(false);
  useEffect(() => {
    if (asking) box.current?.querySelector<HTMLButtonElement>('[data-cancel]')?.focus();
    else if (wasAsking.current) box.current?.querySelector<HTMLButtonElement>('button')?.focus();
    wasAsking.current = asking;
  }, [asking]);
  if (!asking) {
    return (
      <div ref={box} className="contents">
        <Button variant="secondary" className="min-h-8 px-3 py-1" aria-label={accessibleLabel} onClick={() => setAsking(true)}>
          {label}
        </Button>
      </div>
    );
  }
  return (
    <div
      ref={box}
      role="group"
      aria-label={question}
      className="flex basis-full flex-wrap items-center gap-2 rounded-md border border-red-300 bg-red-50 p-2 text-sm text-red-900 dark:border-red-800 dark:bg-red-950 dark:text-red-100"
    >
      <span>{question}</span>
      <Button variant="danger" className="min-h-8 px-3 py-1" busy={busy} onClick={onConfirm}>
        {confirmLabel}
      </Button>
      <Button data-cancel variant="secondary" className="min-h-8 px-3 py-1" onClick={() => setAsking(false)}>
        {cancelLabel}
      </Button>
    </div>
  );
}
