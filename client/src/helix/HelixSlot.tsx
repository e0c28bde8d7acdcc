import { lazy, Suspense } from 'react';
import { useQuery } from 'urql';
import { HelixAvailabilityQuery } from './queries';

// the panel's code loads only when a feature of it runs: with Helix off a page gets nothing but this
const HelixPanel = lazy(() => import('./HelixPanel'));

export interface SlotFeature {
  /** The feature's name (helixFeatures). */
  name: string;
  /** What its button says, e.g. "Explain this drive". */
  action?: string;
}

/**
 * Helix on a page: the features that fit it (those enabled), with the page's own values (`fixed`: the VIN,
 * the drive...). Renders nothing at all while Helix is off, the features are disabled, or the API says no.
 */
export function HelixSlot({ features, fixed }: { features: readonly SlotFeature[]; fixed: Record<string, unknown> }) {
  const [{ data }] = useQuery({ query: HelixAvailabilityQuery });
  if (!data?.helix.enabled) return null;
  const available = features.flatMap((f) => {
    const state = data.helixFeatures.find((s) => s.name === f.name && s.enabled);
    return state ? [{ feature: state, action: f.action }] : [];
  });
  if (available.length === 0) return null;
  return (
    <Suspense fallback={null}>
      <HelixPanel features={available} fixed={fixed} />
    </Suspense>
  );
}
