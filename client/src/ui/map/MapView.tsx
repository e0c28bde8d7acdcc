import { lazy, Suspense, useMemo, type ReactNode } from 'react';
import { useQuery } from 'urql';
import { graphql } from '../../gql';
import { useSettings, useT } from '../../lib/context';
import type { Bounds, LatLon } from '../../lib/geo';
import { resolveTileSource, type TileSource } from '../../lib/mapTiles';

// Leaflet (and its CSS) is its own chunk, loaded by the pages that show a map, after the page itself.
const LeafletMap = lazy(() => import('./LeafletMap'));

export interface MapMarker {
  id: string;
  position: LatLon;
  /** car: an arrow turned by `heading`; start and end of a track: green and red dots; place: a small dot. */
  kind: 'car' | 'start' | 'end' | 'place';
  /** Degrees clockwise from north (cars). */
  heading?: number | null | undefined;
  label?: string | undefined;
}

export interface MapCircle {
  id: string;
  center: LatLon;
  radiusM: number;
  /** Drawn at the centre (plain text). */
  label?: string | undefined;
  /** geofence: a stored one; selected: the one being edited; draft: the form's, as it is typed. */
  kind: 'geofence' | 'selected' | 'draft';
}

export interface MapViewProps {
  /** Names the map for assistive technology (the region's label). */
  label: string;
  tracks?: readonly (readonly LatLon[])[] | undefined;
  markers?: readonly MapMarker[] | undefined;
  circles?: readonly MapCircle[] | undefined;
  /** The view fits what is drawn (drafts aside) the first time there is something, and again when this changes. */
  fitKey?: string | undefined;
  /** The box to fit instead of everything drawn (e.g. the geofence being edited). */
  fitBounds?: Bounds | undefined;
  /** Keep the car marker in view as it moves. */
  follow?: boolean | undefined;
  /** A click (or tap) on the map picks a position. */
  onPick?: ((position: LatLon) => void) | undefined;
  /** The map's centre after each move, for keyboard users' "use this position". */
  onCenterChange?: ((position: LatLon) => void) | undefined;
  /** Mark the centre with a cross-hair (where "use this position" puts things). */
  showCenter?: boolean | undefined;
  /** The map's height (Tailwind classes). */
  heightClass?: string | undefined;
  testId?: string | undefined;
  /** data-points on the region, for tools and tests. */
  dataPoints?: number | undefined;
  /** What the map shows, as text, under it. */
  caption?: ReactNode;
  /** Shown while the map's code loads. */
  fallback?: ReactNode;
}

const ClientConfigQuery = graphql(`
  query MapClientConfig {
    clientConfig {
      mapTileUrl
      mapTileAttribution
      mapMaxZoom
    }
  }
`);

/** The server's tile settings, as `clientConfig` gives them (null until loaded or when the query fails). */
export function useServerTiles() {
  const [{ data }] = useQuery({ query: ClientConfigQuery });
  return data?.clientConfig ?? null;
}

/** The tiles maps use: this browser's template (Settings), else the server's, else none. */
export function useMapTiles(): TileSource | null {
  const { settings } = useSettings();
  const server = useServerTiles();
  const { mapTileUrl, mapTileAttribution } = settings;
  return useMemo(() => resolveTileSource(server, { mapTileUrl, mapTileAttribution }), [server, mapTileUrl, mapTileAttribution]);
}

export const DEFAULT_MAP_HEIGHT = 'h-72 sm:h-96';

/**
 * A slippy map: tiles when configured, else a plain background; tracks, markers and circles on top, a
 * scale, zoom buttons and keyboard panning. Its code loads on first use.
 */
export function MapView(props: MapViewProps) {
  const t = useT();
  const tiles = useMapTiles();
  const height = props.heightClass ?? DEFAULT_MAP_HEIGHT;
  const fallback = props.fallback ?? (
    <div className={`${height} flex w-full items-center justify-center rounded-md bg-slate-200 text-sm text-slate-600 dark:bg-slate-800 dark:text-slate-400`}>
      {t('app.loading')}
    </div>
  );
  return (
    <Suspense fallback={fallback}>
      <LeafletMap {...props} heightClass={height} tiles={tiles} />
    </Suspense>
  );
}
