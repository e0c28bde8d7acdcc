import { useEffect, useState, type FormEvent } from 'react';
import type { CombinedError } from 'urql';
import { AccountSettings } from '../account/Account';
import { LANGUAGES } from '../i18n/translate';
import { useSettings, useT } from '../lib/context';
import { tileOverrideProblem } from '../lib/mapTiles';
import { usePreferencesHome, useSavePreferences } from '../lib/preferencesSync';
import { splitProblems } from '../lib/problems';
import { validCurrency, validLocale, validTimeZone, type Settings as SettingsValue } from '../lib/settings';
import { getToken, setToken } from '../lib/token';
import type { DistanceUnit, PressureUnit, TemperatureUnit } from '../lib/units';
import { ApiError } from '../ui/ApiError';
import { Button } from '../ui/Button';
import { Card } from '../ui/Card';
import { Field, inputClass } from '../ui/Field';
import { PageHeader } from '../ui/Layout';
import { MapTileFields } from '../ui/map/MapTileFields';
import { Notice } from '../ui/Notice';

// the fields of setPreferences's errors shown beside their field (the rest, e.g. the tiles' credit, above Save)
const SHOWN_FIELDS = ['locale', 'currency', 'timeZone', 'mapTileUrl'];

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
  const [saved, setSaved] = useState<'user' | 'browser' | null>(null);
  // where the settings are kept: with the user (a user's token or session) or in this browser only
  const home = usePreferencesHome();
  const [{ fetching: saving }, savePreferences] = useSavePreferences();
  // untouched, the form follows the settings (e.g. the user's, once read from the server)
  const [touched, setTouched] = useState(false);
  const [refused, setRefused] = useState<string[]>([]);
  const [requestError, setRequestError] = useState<CombinedError | null>(null);
  // the account part reads `me` anew whenever a token is saved
  const [account, setAccount] = useState(0);
  const [problems, setProblems] = useState<Record<string, string>>({});
  const locales = LOCALES.includes(settings.locale) ? LOCALES : [settings.locale, ...LOCALES];

  useEffect(() => {
    if (!touched) setDraft(settings);
  }, [settings, touched]);

  function update(next: Partial<SettingsValue>) {
    setDraft((previous) => ({ ...previous, ...next }));
    setTouched(true);
    setSaved(null);
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    const found: Record<string, string> = {};
    if (!validLocale(draft.locale)) found.locale = t('validation.required');
    if (!validCurrency(draft.currency)) found.currency = t('validation.choice', { choices: 'EUR, USD, GBP, …' });
    if (!validTimeZone(draft.timeZone)) found.timeZone = t('validation.required');
    const tiles = tileOverrideProblem(draft.mapTileUrl);
    if (tiles) found.mapTileUrl = t(tiles);
    setProblems(found);
    setRefused([]);
    setRequestError(null);
    if (Object.keys(found).length > 0) return;
    // with the user's own token they are saved with the user, whole; a new token brings its user's settings
    // instead (read as the token changes), so this browser's do not overwrite them
    const toUser = home === 'user' && (token.trim() || null) === getToken();
    if (toUser) {
      const result = await savePreferences(draft);
      if (!result.saved) {
        if ('error' in result) {
          setRequestError(result.error);
        } else {
          const split = splitProblems(result.problems, SHOWN_FIELDS);
          setProblems(split.fields);
          setRefused(split.other);
        }
        return;
      }
    }
    save(draft);
    setToken(token || null);
    setTouched(false);
    setSaved(toUser ? 'user' : 'browser');
    setAccount((n) => n + 1);
  }

  return (
    <>
      <PageHeader title={t('settings.title')} />
      <Card className="max-w-xl">
        <form onSubmit={submit} noValidate className="space-y-4">
          {home !== 'checking' && (
            <p className="text-sm text-slate-700 dark:text-slate-300" data-testid="settings-home" data-home={home}>
              {t(home === 'user' ? 'settings.keptUser' : 'settings.keptBrowser')}
            </p>
          )}
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
          <MapTileFields draft={draft} update={update} error={problems.mapTileUrl} />
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
                  setSaved(null);
                }}
                className={inputClass}
              />
            )}
          </Field>
          {refused.length > 0 && (
            <Notice tone="error" title={t('settings.refused')}>
              <ul className="list-disc pl-5">
                {refused.map((problem) => (
                  <li key={problem}>{problem}</li>
                ))}
              </ul>
            </Notice>
          )}
          {requestError && <ApiError error={requestError} />}
          <Button type="submit" busy={saving} disabled={home === 'checking'}>
            {t('settings.save')}
          </Button>
          {saved && <Notice tone="success">{t(saved === 'user' ? 'settings.savedUser' : 'settings.saved')}</Notice>}
        </form>
      </Card>
      <AccountSettings key={account} />
    </>
  );
}
