import { useMemo } from 'react';
import { useFormat, useSettings, useT } from '../../lib/context';
import { formatCoordinates } from '../../lib/format';
import type { LatLon } from '../../lib/geo';
import { MapView, type MapCircle, type MapMarker } from './MapView';

/**
 * One position on a map: a car where it is now (following it as it moves), or where a charge happened,
 * with the geofence it was in. The coordinates (and when they were reported) are written under the map.
 */
export function PositionMap({
  label,
  position,
  heading,
  at,
  place,
  follow = false,
  testId,
}: {
  label: string;
  position: LatLon | null;
  heading?: number | null | undefined;
  /** When the position was reported (ISO), for the caption. */
  at?: string | undefined;
  /** A geofence to draw around it. */
  place?: { name: string; latitude: number; longitude: number; radiusM: number } | null | undefined;
  follow?: boolean;
  testId?: string;
}) {
  const t = useT();
  const format = useFormat();
  const { settings } = useSettings();
  const latitude = position?.latitude;
  const longitude = position?.longitude;
  const markers = useMemo(
    (): MapMarker[] => (latitude !== undefined && longitude !== undefined ? [{ id: 'position', position: { latitude, longitude }, kind: 'car', heading }] : []),
    [latitude, longitude, heading],
  );
  const circles = useMemo(
    (): MapCircle[] =>
      place ? [{ id: 'place', center: { latitude: place.latitude, longitude: place.longitude }, radiusM: place.radiusM, label: place.name, kind: 'geofence' }] : [],
    [place],
  );
  const caption = position
    ? at
      ? t('map.positionCaptionAt', { position: formatCoordinates(position.latitude, position.longitude, settings.locale), time: format.dateTime(at) })
      : t('map.positionCaption', { position: formatCoordinates(position.latitude, position.longitude, settings.locale) })
    : t('map.noPosition');
  return (
    <MapView
      label={label}
      testId={testId}
      markers={markers}
      circles={circles}
      follow={follow}
      fitKey="position"
      caption={<p data-testid={testId ? `${testId}-caption` : undefined}>{caption}</p>}
    />
  );
}
