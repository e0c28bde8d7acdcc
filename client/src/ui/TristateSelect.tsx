import { useT } from '../lib/context';
import { inputClass, type FieldRenderProps } from './Field';

/** An optional yes or no: '' (not set), 'true' or 'false'. */
export function TristateSelect({ value, onChange, ...props }: FieldRenderProps & { value: string; onChange: (value: string) => void }) {
  const t = useT();
  return (
    <select {...props} className={inputClass} value={value} onChange={(e) => onChange(e.target.value)}>
      <option value="">{t('commands.notSet')}</option>
      <option value="true">{t('value.yes')}</option>
      <option value="false">{t('value.no')}</option>
    </select>
  );
}
