// React bindings of the settings, the translation layer and the formatters.

import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import type { MessageKey } from '../i18n/en';
import { translate, type Params } from '../i18n/translate';
import { formatDateTime, formatMeasure, formatMoney, formatRelative, formatTime } from './format';
import { defaultSettings, parseSettings, STORAGE_KEY, type Settings } from './settings';

interface SettingsState {
  settings: Settings;
  save: (settings: Settings) => void;
}

const SettingsContext = createContext<SettingsState | null>(null);

function browserDefaults(): Settings {
  return defaultSettings(navigator.language || 'en', Intl.DateTimeFormat().resolvedOptions().timeZone);
}

function load(): Settings {
  let raw: string | null = null;
  try {
    raw = localStorage.getItem(STORAGE_KEY);
  } catch {
    raw = null;
  }
  return parseSettings(raw, browserDefaults());
}

export function SettingsProvider({ children }: { children: ReactNode }) {
  const [settings, setSettings] = useState<Settings>(load);
  const save = useCallback((next: Settings) => {
    setSettings(next);
    try {
      localStorage.setItem(STORAGE_KEY, JSON.stringify(next));
    } catch {
      // kept for this page only
    }
  }, []);
  useEffect(() => {
    document.documentElement.lang = settings.locale;
  }, [settings.locale]);
  const value = useMemo(() => ({ settings, save }), [settings, save]);
  return <SettingsContext.Provider value={value}>{children}</SettingsContext.Provider>;
}

export function useSettings(): SettingsState {
  const state = useContext(SettingsContext);
  if (!state) throw new Error('useSettings outside SettingsProvider');
  return state;
}

export type Translate = (key: MessageKey, params?: Params) => string;

export function useT(): Translate {
  const { locale } = useSettings().settings;
  return useCallback((key: MessageKey, params?: Params) => translate(locale, key, params), [locale]);
}

/** The formatters bound to the user's locale, units and time zone. */
export function useFormat() {
  const { settings } = useSettings();
  return useMemo(() => {
    const { locale, timeZone, units, currency } = settings;
    return {
      measure: (value: number, unit: string | null | undefined) => formatMeasure(value, unit, locale, units),
      dateTime: (value: string) => formatDateTime(value, { locale, timeZone }),
      time: (value: string) => formatTime(value, { locale, timeZone }),
      relative: (value: string, now: Date = new Date()) => formatRelative(value, now, locale),
      money: (amount: string | number | null | undefined, code: string = currency) => formatMoney(amount, code, locale),
    };
  }, [settings]);
}
