// The map itself, on Leaflet: one map per mount, layers redrawn when their props change. Leaflet's zoom
// and attribution controls are replaced by React ones (real buttons, translated; the credit as plain text).
import {
  circle,
  circleMarker,
  control,
  divIcon,
  layerGroup,
  map as createMap,
  marker,
  polyline,
  tileLayer,
  tooltip,
  type Control,
  type LayerGroup,
  type LeafletMouseEvent,
  type Map as LeafletMapInstance,
} from 'leaflet';
import 'leaflet/dist/leaflet.css';
import { useEffect, useId, useRef, useState } from 'react';
import { useSettings, useT } from '../../lib/context';
import { boundsOf, isLatLon, isPoint, northEdge, type Bounds, type LatLon } from '../../lib/geo';
import type { TileSource } from '../../lib/mapTiles';
import type { MapCircle, MapMarker, MapViewProps } from './MapView';
import './map.css';

/** The deepest zoom: tiles past their own deepest are scaled, a plain background has none. */
const MAX_ZOOM = 20;
/** A single point (a parked car) is shown at street level. */
const POINT_ZOOM = 16;
const WORLD: [number, number] = [20, 0];

const COLORS = {
  track: '#1d4ed8',
  start: '#15803d',
  end: '#b91c1c',
  geofence: '#7c3aed',
  selected: '#c2410c',
  draft: '#c2410c',
  place: '#0f766e',
};

const toLatLng = (p: LatLon): [number, number] => [p.latitude, p.longitude];

/** The car: a blue disc, with an arrow when its heading is known. Only numbers go into the markup. */
function carIconHtml(heading: number | null | undefined): string {
  const arrow =
    typeof heading === 'number' && Number.isFinite(heading)
      ? `<path d="M14 5 L20 20 L14 16.5 L8 20 Z" fill="#fff" transform="rotate(${Math.round(heading) % 360} 14 14)"/>`
      : '<circle cx="14" cy="14" r="4" fill="#fff"/>';
  return `<svg viewBox="0 0 28 28" width="28" height="28" aria-hidden="true"><circle cx="14" cy="14" r="12" fill="${COLORS.track}" stroke="#fff" stroke-width="2.5"/>${arrow}</svg>`;
}

/** A label drawn on the map: an element whose text is set as text, never as markup. */
function labelElement(text: string): HTMLElement {
  const span = document.createElement('span');
  span.textContent = text;
  return span;
}

function fitView(map: LeafletMapInstance, bounds: Bounds | null): void {
  if (!bounds) {
    map.setView(WORLD, 2);
  } else if (isPoint(bounds)) {
    map.setView([bounds.south, bounds.west], Math.max(map.getZoom(), POINT_ZOOM));
  } else {
    map.fitBounds(
      [
        [bounds.south, bounds.west],
        [bounds.north, bounds.east],
      ],
      { padding: [28, 28], maxZoom: 17 },
    );
  }
}

/** What the view fits: every track point, marker and circle but the drafts the user is drawing. */
function contentBounds(tracks: MapViewProps['tracks'], markers: readonly MapMarker[] | undefined, circles: readonly MapCircle[] | undefined) {
  const points: LatLon[] = [...(tracks ?? []).flat(), ...(markers ?? []).map((m) => m.position)];
  const rings = (circles ?? []).filter((c) => c.kind !== 'draft').map((c) => ({ center: c.center, radiusM: c.radiusM }));
  return boundsOf(points, rings);
}

export default function LeafletMap({
  label,
  tracks,
  markers,
  circles,
  fitKey = 'default',
  fitBounds,
  follow = false,
  onPick,
  onCenterChange,
  showCenter = false,
  heightClass,
  testId,
  dataPoints,
  caption,
  tiles,
}: MapViewProps & { tiles: TileSource | null }) {
  const t = useT();
  const { settings } = useSettings();
  const hintId = useId();
  const container = useRef<HTMLDivElement>(null);
  const [map, setMap] = useState<LeafletMapInstance | null>(null);
  const groups = useRef<{ tracks: LayerGroup; circles: LayerGroup; markers: LayerGroup } | null>(null);
  const [zoom, setZoom] = useState(2);
  const [tilesShown, setTilesShown] = useState(false);
  const fitted = useRef<string | null>(null);
  const pick = useRef(onPick);
  const center = useRef(onCenterChange);
  pick.current = onPick;
  center.current = onCenterChange;

  // the map, once per mount
  useEffect(() => {
    const host = container.current;
    if (!host) return;
    // Leaflet gets an element of its own: on unmount it leaves the page at once, and the map is removed only
    // once a zoom or pan under way has run out (Leaflet 1.9 throws when removed in the middle of one)
    const element = document.createElement('div');
    element.style.width = '100%';
    element.style.height = '100%';
    host.appendChild(element);
    // users who asked for less motion get a map that jumps instead of gliding
    const still = window.matchMedia?.('(prefers-reduced-motion: reduce)').matches ?? false;
    const instance = createMap(element, {
      fadeAnimation: !still,
      zoomAnimation: !still,
      markerZoomAnimation: !still,
      inertia: !still,
      zoomControl: false,
      attributionControl: false,
      minZoom: 1,
      maxZoom: MAX_ZOOM,
      worldCopyJump: true,
      zoomSnap: 0.5,
      keyboard: true,
    });
    instance.setView(WORLD, 2);
    groups.current = { tracks: layerGroup().addTo(instance), circles: layerGroup().addTo(instance), markers: layerGroup().addTo(instance) };
    const zoomed = () => setZoom(instance.getZoom());
    const moved = () => {
      const c = instance.getCenter().wrap();
      center.current?.({ latitude: c.lat, longitude: c.lng });
    };
    const clicked = (event: LeafletMouseEvent) => {
      const at = event.latlng.wrap();
      pick.current?.({ latitude: at.lat, longitude: at.lng });
    };
    instance.on('zoomend', zoomed);
    instance.on('moveend', moved);
    instance.on('click', clicked);
    // the container changes size with the page (phone rotated, side panel): Leaflet must know
    const resize = new ResizeObserver(() => instance.invalidateSize());
    resize.observe(element);
    setMap(instance);
    setZoom(instance.getZoom());
    return () => {
      resize.disconnect();
      instance.off('zoomend', zoomed);
      instance.off('moveend', moved);
      instance.off('click', clicked);
      instance.stop();
      element.remove();
      setTimeout(() => instance.remove(), 500);
      groups.current = null;
      fitted.current = null;
      setMap(null);
    };
  }, []);

  // tiles: none without a template; a failed tile leaves the plain background (and logs nothing itself)
  useEffect(() => {
    setTilesShown(false);
    if (!map || !tiles) return;
    const layer = tileLayer(tiles.url, {
      maxNativeZoom: tiles.maxZoom,
      maxZoom: MAX_ZOOM,
      subdomains: 'abc',
      className: 'ts-map-tiles',
    });
    layer.on('tileload', () => setTilesShown(true));
    layer.addTo(map);
    return () => {
      layer.remove();
    };
  }, [map, tiles]);

  // the scale, in the user's unit
  useEffect(() => {
    if (!map) return;
    const metric = settings.units.distance !== 'mi';
    const scale: Control.Scale = control.scale({ metric, imperial: !metric, position: 'bottomleft' }).addTo(map);
    return () => {
      scale.remove();
    };
  }, [map, settings.units.distance]);

  useEffect(() => {
    const group = groups.current?.tracks;
    if (!map || !group) return;
    group.clearLayers();
    for (const track of tracks ?? []) {
      const points = track.filter(isLatLon).map(toLatLng);
      if (points.length > 1) {
        polyline(points, { color: COLORS.track, weight: 4, opacity: 0.9, lineJoin: 'round', interactive: false, className: 'ts-map-track' }).addTo(group);
      }
    }
  }, [map, tracks]);

  useEffect(() => {
    const group = groups.current?.circles;
    if (!map || !group) return;
    group.clearLayers();
    for (const c of circles ?? []) {
      if (!isLatLon(c.center)) continue;
      const color = COLORS[c.kind];
      const ring = circle(toLatLng(c.center), {
        radius: Math.max(0, c.radiusM),
        color,
        weight: c.kind === 'geofence' ? 2 : 3,
        dashArray: c.kind === 'draft' ? '6 6' : undefined,
        fillColor: color,
        fillOpacity: 0.15,
        interactive: false,
        className: `ts-map-circle ts-map-${c.kind}`,
      }).addTo(group);
      ring.getElement()?.setAttribute('data-circle-id', c.id);
      // the name above the ring, leaving its centre (a car, the cross-hair) in sight
      if (c.label) {
        tooltip({ direction: 'top', className: 'ts-map-label', opacity: 1, interactive: false })
          .setLatLng(toLatLng(northEdge(c)))
          .setContent(labelElement(c.label))
          .addTo(group);
      }
    }
  }, [map, circles]);

  useEffect(() => {
    const group = groups.current?.markers;
    if (!map || !group) return;
    group.clearLayers();
    for (const m of markers ?? []) {
      if (!isLatLon(m.position)) continue;
      const at = toLatLng(m.position);
      if (m.kind === 'car') {
        const car = marker(at, {
          icon: divIcon({ className: 'ts-map-car', html: carIconHtml(m.heading), iconSize: [28, 28], iconAnchor: [14, 14] }),
          keyboard: false,
          interactive: false,
          zIndexOffset: 1000,
        }).addTo(group);
        // where it is drawn, for tools and tests
        car.getElement()?.setAttribute('data-position', `${m.position.latitude.toFixed(5)},${m.position.longitude.toFixed(5)}`);
      } else {
        const color = COLORS[m.kind];
        const dot = circleMarker(at, {
          radius: m.kind === 'place' ? 5 : 7,
          color: '#fff',
          weight: 2,
          fillColor: color,
          fillOpacity: 1,
          interactive: false,
          className: `ts-map-${m.kind}`,
        }).addTo(group);
        if (m.label) dot.bindTooltip(labelElement(m.label), { direction: 'top', className: 'ts-map-label', opacity: 1, permanent: m.kind === 'place' });
      }
    }
  }, [map, markers]);

  // fit the view the first time there is something to show (and when fitKey changes)
  useEffect(() => {
    if (!map || fitted.current === fitKey) return;
    const bounds = fitBounds ?? contentBounds(tracks, markers, circles);
    if (!bounds) return;
    fitted.current = fitKey;
    fitView(map, bounds);
  }, [map, fitKey, fitBounds, tracks, markers, circles]);

  // keep a moving car in view, without fighting a user who looks elsewhere only while it stays inside
  const car = markers?.find((m) => m.kind === 'car')?.position;
  useEffect(() => {
    if (!map || !follow || !car || fitted.current === null) return;
    const at = toLatLng(car);
    if (!map.getBounds().pad(-0.15).contains(at)) map.panTo(at);
  }, [map, follow, car?.latitude, car?.longitude]);

  // the element Leaflet focuses (arrow keys pan, plus and minus zoom) is named and described
  useEffect(() => {
    const element = map?.getContainer();
    if (!element) return;
    element.setAttribute('role', 'group');
    element.setAttribute('aria-label', t('map.keyboard'));
    element.setAttribute('aria-describedby', hintId);
  }, [map, t, hintId]);

  useEffect(() => {
    container.current?.classList.toggle('ts-map-picking', Boolean(onPick));
  }, [onPick]);

  const button =
    'flex h-9 w-9 items-center justify-center rounded-md border border-slate-300 bg-white text-lg font-semibold text-slate-900 shadow-sm hover:bg-slate-100 disabled:cursor-not-allowed disabled:opacity-50 dark:border-slate-600 dark:bg-slate-800 dark:text-slate-100 dark:hover:bg-slate-700';
  return (
    <section aria-label={label} data-testid={testId} data-points={dataPoints} data-tiles={tiles ? (tilesShown ? 'shown' : 'loading') : 'none'} className="space-y-2">
      <div className="relative">
        <div ref={container} className={`ts-map isolate w-full overflow-hidden rounded-md ${heightClass ?? ''}`} />
        <p id={hintId} className="sr-only">
          {onPick ? t('map.pickHint') : t('map.keyboardHint')}
        </p>
        {showCenter && (
          <span aria-hidden="true" className="pointer-events-none absolute left-1/2 top-1/2 z-10 -translate-x-1/2 -translate-y-1/2 text-2xl leading-none text-orange-700 dark:text-orange-400">
            +
          </span>
        )}
        <div className="absolute right-2 top-2 z-10 flex flex-col gap-1">
          <button type="button" className={button} aria-label={t('map.zoomIn')} title={t('map.zoomIn')} disabled={!map || zoom >= MAX_ZOOM} onClick={() => map?.zoomIn()}>
            <span aria-hidden="true">+</span>
          </button>
          <button type="button" className={button} aria-label={t('map.zoomOut')} title={t('map.zoomOut')} disabled={!map || zoom <= 1} onClick={() => map?.zoomOut()}>
            <span aria-hidden="true">−</span>
          </button>
          <button
            type="button"
            className={button}
            aria-label={t('map.showAll')}
            title={t('map.showAll')}
            disabled={!map}
            onClick={() => map && fitView(map, contentBounds(tracks, markers, circles))}
          >
            <svg viewBox="0 0 20 20" width="18" height="18" aria-hidden="true" fill="none" stroke="currentColor" strokeWidth="2">
              <path d="M3 8V3h5M12 3h5v5M17 12v5h-5M8 17H3v-5" />
            </svg>
          </button>
        </div>
        {tiles && tilesShown && tiles.attribution && (
          <p className="ts-map-attribution pointer-events-none absolute bottom-0 right-0 z-10 max-w-[75%] rounded-tl-md bg-white/85 px-1.5 py-0.5 text-[11px] text-slate-800 dark:bg-slate-900/85 dark:text-slate-200">
            {tiles.attribution}
          </p>
        )}
      </div>
      {caption && <div className="text-sm text-slate-700 dark:text-slate-300">{caption}</div>}
    </section>
  );
}
