// Settings that follow the user: at start, and whenever the API token changes, the caller's `me { preferences }`
// are read and merged over this browser's settings (preferences.ts); Settings saves them back whole with
// `setPreferences`. Nothing waits for it: pages render with this browser's settings at once, and a failed
// read leaves them as they are (the pages say what is wrong with the API themselves).

import { createContext, useContext, useEffect, useRef, useState, type ReactNode } from 'react';
import { CombinedError, useClient, useMutation } from 'urql';
import { graphql } from '../gql';
import { useSettings } from './context';
import { mergePreferences, preferencesInput, sameSettings } from './preferences';
import type { Problem } from './problems';
import type { Settings } from './settings';
import { onTokenChange } from './token';

const PreferencesQuery = graphql(`
  query MePreferences {
    me {
      user {
        id
      }
      preferences {
        locale
        distanceUnit
        temperatureUnit
        pressureUnit
        currency
        timeZone
        mapTileUrl
        mapTileAttribution
      }
    }
  }
`);

const SavePreferencesMutation = graphql(`
  mutation SavePreferences($input: PreferencesInput!) {
    setPreferences(input: $input) {
      preferences {
        distanceUnit
        timeZone
      }
      errors {
        ...MutationProblemFields
      }
    }
  }
`);

/**
 * Where the settings are kept: `checking` while `me` is read; `user` with the user (and in this browser);
 * `browser` in this browser only (demo mode's anonymous caller, or `me` could not be read).
 */
export type PreferencesHome = 'checking' | 'user' | 'browser';

const HomeContext = createContext<PreferencesHome>('browser');

/** Reads the user's preferences (at start and when the token changes) and applies them; renders its children at once. */
export function PreferencesSync({ children }: { children: ReactNode }) {
  const client = useClient();
  const { settings, save } = useSettings();
  const [home, setHome] = useState<PreferencesHome>('checking');
  const [tokenChanges, setTokenChanges] = useState(0);
  const latest = useRef(settings);
  useEffect(() => {
    latest.current = settings;
  }, [settings]);
  useEffect(() => onTokenChange(() => setTokenChanges((n) => n + 1)), []);

  useEffect(() => {
    let current = true;
    setHome('checking');
    void client
      .query(PreferencesQuery, {}, { requestPolicy: 'network-only' })
      .toPromise()
      .then((result) => {
        if (!current) return;
        const me = result.data?.me;
        if (!me?.user) {
          setHome('browser');
          return;
        }
        const merged = mergePreferences(latest.current, me.preferences);
        if (!sameSettings(merged, latest.current)) save(merged);
        setHome('user');
      });
    return () => {
      current = false;
    };
  }, [client, save, tokenChanges]);

  return <HomeContext.Provider value={home}>{children}</HomeContext.Provider>;
}

export function usePreferencesHome(): PreferencesHome {
  return useContext(HomeContext);
}

export type SavePreferencesResult = { saved: true } | { saved: false; error: CombinedError } | { saved: false; problems: Problem[] };

/** Saves settings as the user's preferences, whole; the API's refusals come back by field. */
export function useSavePreferences(): [{ fetching: boolean }, (settings: Settings) => Promise<SavePreferencesResult>] {
  const [state, mutate] = useMutation(SavePreferencesMutation);
  const savePreferences = async (settings: Settings): Promise<SavePreferencesResult> => {
    const result = await mutate({ input: preferencesInput(settings) });
    const payload = result.data?.setPreferences;
    if (result.error) return { saved: false, error: result.error };
    if (!payload) return { saved: false, error: new CombinedError({ networkError: new Error('setPreferences: no answer') }) };
    if (payload.errors.length > 0) return { saved: false, problems: payload.errors.map((e) => ({ field: e.field ?? null, message: e.message })) };
    return { saved: true };
  };
  return [{ fetching: state.fetching }, savePreferences];
}
