import { useT } from '../../lib/context';
import { tileHost } from '../../lib/mapTiles';
import type { Settings } from '../../lib/settings';
import { Field, inputClass } from '../Field';
import { useServerTiles } from './MapView';

/** The Settings form's "Map tiles" fields: this browser's tile template and its credit (empty: the server's). */
export function MapTileFields({
  draft,
  update,
  error,
}: {
  draft: Pick<Settings, 'mapTileUrl' | 'mapTileAttribution'>;
  update: (next: Partial<Settings>) => void;
  error?: string | undefined;
}) {
  const t = useT();
  const server = useServerTiles();
  const serverUrl = server?.mapTileUrl;
  const current = serverUrl ? t('settings.mapTilesServer', { host: tileHost(serverUrl) || serverUrl }) : t('settings.mapTilesNone');
  return (
    <>
      <Field label={t('settings.mapTiles')} hint={`${t('settings.mapTilesHint')} ${current}`} error={error}>
        {(props) => (
          <input
            {...props}
            type="url"
            inputMode="url"
            autoComplete="off"
            spellCheck={false}
            placeholder="https://tiles.example.org/{z}/{x}/{y}.png"
            value={draft.mapTileUrl ?? ''}
            onChange={(e) => update({ mapTileUrl: e.target.value })}
            className={inputClass}
          />
        )}
      </Field>
      {draft.mapTileUrl?.trim() && (
        <Field label={t('settings.mapTilesCredit')} hint={t('settings.mapTilesCreditHint')}>
          {(props) => (
            <input
              {...props}
              autoComplete="off"
              maxLength={300}
              value={draft.mapTileAttribution ?? ''}
              onChange={(e) => update({ mapTileAttribution: e.target.value })}
              className={inputClass}
            />
          )}
        </Field>
      )}
    </>
  );
}
