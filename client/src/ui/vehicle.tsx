// Badges shared by the pages that show vehicles.

import type { StreamState, VehicleState } from '../gql/graphql';
import { useT } from '../lib/context';
import { Badge, type Tone } from './Badge';

const STATE_TONES: Record<VehicleState, Tone> = {
  UNKNOWN: 'neutral',
  ONLINE: 'success',
  ASLEEP: 'neutral',
  OFFLINE: 'warning',
  DRIVING: 'info',
  CHARGING: 'success',
  UPDATING: 'warning',
};

const STREAM_TONES: Record<StreamState, Tone> = {
  LIVE: 'success',
  STALE: 'warning',
  POLLING: 'info',
  ASLEEP: 'neutral',
  NEVER: 'danger',
};

export function StateBadge({ state }: { state: VehicleState }) {
  const t = useT();
  return <Badge tone={STATE_TONES[state]}>{t(`state.${state}`)}</Badge>;
}

export function StreamBadge({ stream }: { stream: StreamState }) {
  const t = useT();
  return (
    <Badge tone={STREAM_TONES[stream]} label={`${t('stream.label')}: ${t(`stream.${stream}`)}`}>
      {t('stream.label')}: {t(`stream.${stream}`)}
    </Badge>
  );
}
