import { Field, inputClass } from './Field';

export interface TotpCodeFieldProps {
  label: string;
  hint?: string;
  error: string | null;
  value: string;
  onChange: (value: string) => void;
  /** The longest code that may be typed; none where a (longer) recovery code is taken too. */
  maxLength?: number;
  /** The input's width, a `max-w-*` class. */
  width: string;
}

/** A required field for a code from an authenticator app, which the browser may offer to fill in. */
export function TotpCodeField({ label, hint, error, value, onChange, maxLength, width }: TotpCodeFieldProps) {
  return (
    <Field label={label} hint={hint} error={error} required>
      {(props) => (
        <input
          {...props}
          type="text"
          inputMode="numeric"
          autoComplete="one-time-code"
          maxLength={maxLength}
          value={value}
          onChange={(e) => onChange(e.target.value)}
          className={`${inputClass} ${width} tracking-widest`}
        />
      )}
    </Field>
  );
}
