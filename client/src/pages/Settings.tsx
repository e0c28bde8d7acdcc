import { useState, type FormEvent } from 'react';
import { LANGUAGES } from '../i18n/translate';
import { useSettings, useT } from '../lib/context';
import { validCurrency, validLocale, validTimeZone, type Settings as SettingsValue } from '../lib/settings';
import { getToken, setToken } from '../lib/token';
import type { DistanceUnit, PressureUnit, TemperatureUnit } from '../lib/units';
import { Button } from '../ui/Button';
import { Card } from '../ui/Card';
import { Field, inputClass } from '../ui/Field';
import { PageHeader } from '../ui/Layout';
import { Notice } from '../ui/Notice';

const LOCALES = ['en-GB', 'en-US', 'de-DE', 'de-AT', 'de-CH', 'fr-FR', 'nl-NL', 'sv-SE', 'nb-NO'];

function languageName(tag: string, display: string): string {
  try {
    return new Intl.DisplayNames([display], { type: 'language' }).of(tag) ?? tag;
  } catch {
    return tag;
  }
}

export default function Settings() {
  const t = useT();
  const { settings, save } = useSettings();
  const [draft, setDraft] = useState<SettingsValue>(settings);
  const [token, setTokenDraft] = useState(getToken() ?? '');
  const [saved, setSaved] = useState(false);
  const [problems, setProblems] = useState<Record<string, string>>({});
  const locales = LOCALES.includes(settings.locale) ? LOCALES : [settings.locale, ...LOCALES];

  function update(next: Partial<SettingsValue>) {
    setDraft((previous) => ({ ...previous, ...next }));
    setSaved(false);
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    const found: Record<string, string> = {};
    if (!validLocale(draft.locale)) found.locale = t('validation.required');
    if (!validCurrency(draft.currency)) found.currency = t('validation.choice', { choices: 'EUR, USD, GBP, …' });
    if (!validTimeZone(draft.timeZone)) found.timeZone = t('validation.required');
    setProblems(found);
    if (Object.keys(found).length > 0) return;
    save(draft);
    setToken(token || null);
    setSaved(true);
  }

  return (
    <>
      <PageHeader title={t('settings.title')} />
      <Card className="max-w-xl">
        <form onSubmit={submit} noValidate className="space-y-4">
          <Field label={t('settings.language')} hint={t('settings.languageHint')} error={problems.locale}>
            {(props) => (
              <select {...props} value={draft.locale} onChange={(e) => update({ locale: e.target.value })} className={inputClass}>
                {locales.map((tag) => (
                  <option key={tag} value={tag}>
                    {languageName(tag, tag)} ({tag})
                    {LANGUAGES.some((l) => tag.startsWith(l.tag)) ? '' : ' *'}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label={t('settings.distance')}>
            {(props) => (
              <select
                {...props}
                value={draft.units.distance}
                onChange={(e) => update({ units: { ...draft.units, distance: e.target.value as DistanceUnit } })}
                className={inputClass}
              >
                <option value="km">{t('settings.units.km')}</option>
                <option value="mi">{t('settings.units.mi')}</option>
              </select>
            )}
          </Field>
          <Field label={t('settings.temperature')}>
            {(props) => (
              <select
                {...props}
                value={draft.units.temperature}
                onChange={(e) => update({ units: { ...draft.units, temperature: e.target.value as TemperatureUnit } })}
                className={inputClass}
              >
                <option value="C">{t('settings.units.C')}</option>
                <option value="F">{t('settings.units.F')}</option>
              </select>
            )}
          </Field>
          <Field label={t('settings.pressure')}>
            {(props) => (
              <select
                {...props}
                value={draft.units.pressure}
                onChange={(e) => update({ units: { ...draft.units, pressure: e.target.value as PressureUnit } })}
                className={inputClass}
              >
                <option value="bar">{t('settings.units.bar')}</option>
                <option value="psi">{t('settings.units.psi')}</option>
                <option value="kPa">{t('settings.units.kPa')}</option>
              </select>
            )}
          </Field>
          <Field label={t('settings.currency')} error={problems.currency}>
            {(props) => (
              <input
                {...props}
                value={draft.currency}
                maxLength={3}
                onChange={(e) => update({ currency: e.target.value.toUpperCase() })}
                className={`${inputClass} max-w-24 uppercase`}
              />
            )}
          </Field>
          <Field label={t('settings.timeZone')} error={problems.timeZone}>
            {(props) => <input {...props} value={draft.timeZone} onChange={(e) => update({ timeZone: e.target.value })} className={inputClass} />}
          </Field>
          <Field label={t('settings.token')} hint={t('settings.tokenHint')}>
            {(props) => (
              <input
                {...props}
                type="password"
                autoComplete="off"
                value={token}
                placeholder="tsk_…"
                onChange={(e) => {
                  setTokenDraft(e.target.value);
                  setSaved(false);
                }}
                className={inputClass}
              />
            )}
          </Field>
          <Button type="submit">{t('settings.save')}</Button>
          {saved && <Notice tone="success">{t('settings.saved')}</Notice>}
        </form>
      </Card>
    </>
  );
}
