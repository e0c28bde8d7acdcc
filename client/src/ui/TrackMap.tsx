import { polylinePoints, projectTrack, type LatLon } from '../lib/track';

/** A drive's track as an SVG polyline, north up, start and end marked. No map library, no tiles. */
export function TrackMap({ track, label }: { track: readonly LatLon[]; label: string }) {
  const width = 600;
  const height = 360;
  const { points } = projectTrack(track, width, height, 16);
  const start = points[0];
  const end = points[points.length - 1];
  return (
    <svg
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-label={label}
      className="h-auto w-full rounded-md bg-slate-100 dark:bg-slate-800"
      data-testid="track"
      data-points={points.length}
    >
      <polyline
        points={polylinePoints(points)}
        fill="none"
        stroke="rgb(29 78 216)"
        strokeWidth="3"
        strokeLinejoin="round"
        strokeLinecap="round"
      />
      {start && <circle cx={start.x} cy={start.y} r="6" fill="rgb(21 128 61)" />}
      {end && points.length > 1 && <circle cx={end.x} cy={end.y} r="6" fill="rgb(185 28 28)" />}
    </svg>
  );
}
