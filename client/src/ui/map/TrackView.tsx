import { useMemo } from 'react';
import { useSettings, useT } from '../../lib/context';
import { formatCoordinates, formatDistance } from '../../lib/format';
import { isLatLon, trackLengthKm, type LatLon } from '../../lib/geo';
import { TrackMap } from '../TrackMap';
import { MapView, type MapMarker } from './MapView';

/**
 * A drive's GPS track on the map, green at the start and red at the end; the SVG outline shows while the
 * map's code loads. Its length and ends are written under it.
 */
export function TrackView({ id, track, label }: { id: string; track: readonly LatLon[]; label: string }) {
  const t = useT();
  const { settings } = useSettings();
  const points = useMemo(() => track.filter(isLatLon), [track]);
  const tracks = useMemo(() => [points], [points]);
  const start = points[0];
  const end = points[points.length - 1];
  const markers = useMemo((): MapMarker[] => {
    if (!start || !end) return [];
    const ends: MapMarker[] = [{ id: 'start', position: start, kind: 'start', label: t('map.start') }];
    if (points.length > 1) ends.push({ id: 'end', position: end, kind: 'end', label: t('map.end') });
    return ends;
  }, [start, end, points.length, t]);
  const where = (p: LatLon) => formatCoordinates(p.latitude, p.longitude, settings.locale);
  return (
    <MapView
      label={label}
      testId="track"
      dataPoints={points.length}
      tracks={tracks}
      markers={markers}
      fitKey={id}
      heightClass="h-72 sm:h-80"
      fallback={<TrackMap track={track} label={label} />}
      caption={
        start &&
        end && (
          <p>
            {t('map.trackCaption', {
              count: points.length,
              length: formatDistance(trackLengthKm(points), settings.locale, settings.units),
              start: where(start),
              end: where(end),
            })}
          </p>
        )
      }
    />
  );
}
