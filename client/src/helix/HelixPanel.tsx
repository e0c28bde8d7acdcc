import { useT } from '../lib/context';
import { Card } from '../ui/Card';
import { FeatureRunner } from './FeatureRunner';
import type { AvailableFeature } from './queries';

/** Helix's card on a page: each feature that fits, its form (what the page does not give) and its answer. */
export default function HelixPanel({
  features,
  fixed,
}: {
  features: readonly { feature: AvailableFeature; action?: string | undefined }[];
  fixed: Record<string, unknown>;
}) {
  const t = useT();
  return (
    <Card title={t('helix.panelTitle')} className="mt-4">
      <div className="space-y-6" data-testid="helix-panel">
        {features.map(({ feature, action }) => (
          <section key={feature.name} aria-labelledby={`helix-${feature.name}`} className="space-y-2">
            <h3 id={`helix-${feature.name}`} className="text-sm font-semibold">
              {feature.title}
            </h3>
            <p className="text-sm text-slate-600 dark:text-slate-400">{feature.description}</p>
            <FeatureRunner feature={feature} fixed={fixed} actionLabel={action} />
          </section>
        ))}
      </div>
    </Card>
  );
}
