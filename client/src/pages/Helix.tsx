import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { useMutation, useQuery } from 'urql';
import { graphql } from '../gql';
import { FeatureRunner } from '../helix/FeatureRunner';
import { useFormat, useT } from '../lib/context';
import { canAdminister, parseBudget, spentPercent } from '../lib/helix';
import { ApiError } from '../ui/ApiError';
import { Badge } from '../ui/Badge';
import { Button } from '../ui/Button';
import { Card } from '../ui/Card';
import { Field, inputClass } from '../ui/Field';
import { PageHeader } from '../ui/Layout';
import { Loading, Notice } from '../ui/Notice';

const HelixPageQuery = graphql(`
  query HelixPage {
    helix {
      enabled
      provider
      model
      monthlyBudget
      spentThisMonth
      forecastThisMonth
    }
    helixFeatures {
      name
      title
      description
      kind
      enabled
      toggled
      model
      monthlyBudget
      spentThisMonth
      forecastThisMonth
      streams
      usesDocs
      inputSchema
    }
  }
`);

// apart, so that a caller who may not ask these still gets the features
const HelixCallerQuery = graphql(`
  query HelixCaller {
    me {
      credential
      scopes
      user {
        isAdmin
      }
    }
    vehicles {
      vin
      displayName
    }
  }
`);

const SetHelixFeatureMutation = graphql(`
  mutation SetHelixFeature($name: String!, $enabled: Boolean, $monthlyBudget: Decimal, $clearBudget: Boolean!) {
    setHelixFeature(name: $name, enabled: $enabled, monthlyBudget: $monthlyBudget, clearBudget: $clearBudget) {
      name
      enabled
      toggled
      monthlyBudget
    }
  }
`);

type FeatureRow = {
  name: string;
  title: string;
  kind: string;
  enabled: boolean;
  toggled: boolean;
  model: string;
  monthlyBudget?: number | null;
  spentThisMonth: number;
  forecastThisMonth: number;
};

function Spend({ spent, forecast, budget }: { spent: number; forecast: number; budget: number | null | undefined }) {
  const t = useT();
  const format = useFormat();
  const percent = spentPercent(spent, budget);
  return (
    <dl className="grid grid-cols-[auto_1fr] gap-x-3 gap-y-1 text-sm">
      <dt className="text-slate-600 dark:text-slate-400">{t('helix.spent')}</dt>
      <dd data-spent={spent}>
        {format.money(spent, 'USD')}
        {percent !== null && <span className="text-slate-600 dark:text-slate-400"> · {t('helix.ofBudget', { percent })}</span>}
      </dd>
      <dt className="text-slate-600 dark:text-slate-400">{t('helix.forecast')}</dt>
      <dd>
        {format.money(forecast, 'USD')}
        {budget !== null && budget !== undefined && forecast > budget && (
          <span className="ml-2">
            <Badge tone="warning">{t('helix.overBudget')}</Badge>
          </span>
        )}
      </dd>
      <dt className="text-slate-600 dark:text-slate-400">{t('helix.budget')}</dt>
      <dd>{budget === null || budget === undefined ? t('helix.noBudget') : format.money(budget, 'USD')}</dd>
    </dl>
  );
}

function AdminFeature({ feature, changed }: { feature: FeatureRow; changed: () => void }) {
  const t = useT();
  const [state, setFeature] = useMutation(SetHelixFeatureMutation);
  const [budget, setBudget] = useState(feature.monthlyBudget == null ? '' : String(feature.monthlyBudget));
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);

  const toggle = async (enabled: boolean) => {
    setSaved(false);
    const r = await setFeature({ name: feature.name, enabled, clearBudget: false });
    if (!r.error) changed();
  };
  const saveBudget = async (event: FormEvent) => {
    event.preventDefault();
    setSaved(false);
    const parsed = parseBudget(budget);
    if (!parsed.ok) {
      setError(t(parsed.error.key, parsed.error.params));
      return;
    }
    setError(null);
    const r = await setFeature(parsed.clear ? { name: feature.name, clearBudget: true } : { name: feature.name, monthlyBudget: parsed.value, clearBudget: false });
    if (!r.error) {
      setSaved(true);
      changed();
    }
  };
  return (
    <li className="space-y-3 rounded-md border border-slate-200 p-3 dark:border-slate-700" data-admin-feature={feature.name}>
      <div className="flex flex-wrap items-center justify-between gap-2">
        <div className="min-w-0">
          <p className="font-medium">{feature.title}</p>
          <p className="flex flex-wrap items-center gap-2 text-xs text-slate-600 dark:text-slate-400">
            <code className="font-mono">{feature.name}</code>
            <span>· {t('helix.model', { model: feature.model })}</span>
            <Badge>{t(feature.kind === 'OPS' ? 'helix.kindOps' : 'helix.kindUser')}</Badge>
            {feature.toggled && !feature.enabled && <Badge tone="warning">{t('helix.waitsForHelix')}</Badge>}
          </p>
        </div>
        <Field label={t('helix.enabledSwitch')} inline>
          {(props) => (
            <input
              {...props}
              aria-label={`${t('helix.enabledSwitch')}: ${feature.title}`}
              type="checkbox"
              role="switch"
              className="h-4 w-4"
              checked={feature.toggled}
              disabled={state.fetching}
              onChange={(e) => void toggle(e.target.checked)}
            />
          )}
        </Field>
      </div>
      <Spend spent={feature.spentThisMonth} forecast={feature.forecastThisMonth} budget={feature.monthlyBudget} />
      <form onSubmit={saveBudget} noValidate className="flex flex-wrap items-start gap-2">
        <div className="w-40">
          <Field label={t('helix.budgetField')} error={error} hint={t('helix.budgetHint')}>
            {(props) => (
              <input
                {...props}
                aria-label={`${t('helix.budgetField')}: ${feature.title}`}
                type="text"
                inputMode="decimal"
                className={inputClass}
                value={budget}
                onChange={(e) => setBudget(e.target.value)}
              />
            )}
          </Field>
        </div>
        <Button type="submit" variant="secondary" className="mt-6" busy={state.fetching} aria-label={`${t('helix.saveBudget')}: ${feature.title}`}>
          {t('helix.saveBudget')}
        </Button>
      </form>
      {saved && <Notice tone="success">{t('helix.budgetSaved')}</Notice>}
      {state.error && <ApiError error={state.error} />}
    </li>
  );
}

export default function Helix() {
  const t = useT();
  const [{ data, fetching, error }, refetch] = useQuery({ query: HelixPageQuery });
  const [caller] = useQuery({ query: HelixCallerQuery });
  const reload = () => refetch({ requestPolicy: 'network-only' });
  const admin = canAdminister(caller.data?.me);
  const usable = data?.helixFeatures.filter((f) => f.enabled) ?? [];
  const vehicles = caller.data?.vehicles ?? [];

  return (
    <>
      <PageHeader title={t('helix.title')} />
      {error && <ApiError error={error} retry={reload} />}
      {!data && fetching && <Loading label={t('app.loading')} />}
      {data && !data.helix.enabled && (
        <div className="mb-4">
          <Notice title={t('helix.offTitle')}>{t('helix.off')}</Notice>
        </div>
      )}
      {data && (
        <div className="space-y-4">
          <Card title={t('helix.status')}>
            <div className="flex flex-wrap items-start justify-between gap-4">
              <p className="flex flex-wrap items-center gap-2 text-sm">
                <Badge tone={data.helix.enabled ? 'success' : 'neutral'}>{t(data.helix.enabled ? 'helix.on' : 'helix.offBadge')}</Badge>
                {data.helix.enabled && (
                  <span>
                    {t('helix.provider', { provider: data.helix.provider })} · {t('helix.model', { model: data.helix.model })}
                  </span>
                )}
              </p>
              <Spend spent={data.helix.spentThisMonth} forecast={data.helix.forecastThisMonth} budget={data.helix.monthlyBudget} />
            </div>
          </Card>
          {data.helix.enabled && usable.length === 0 && <Notice>{t(admin ? 'helix.noneEnabledAdmin' : 'helix.noneEnabled')}</Notice>}
          {usable.length > 0 && (
            <div className="grid gap-4 lg:grid-cols-2">
              {usable.map((feature) => (
                <Card
                  key={feature.name}
                  className="min-w-0"
                  title={feature.title}
                  actions={
                    <span className="flex flex-wrap gap-1">
                      {feature.streams && <Badge tone="info">{t('helix.streams')}</Badge>}
                      {feature.usesDocs && <Badge>{t('helix.usesDocs')}</Badge>}
                    </span>
                  }
                >
                  <p className="mb-3 text-sm text-slate-600 dark:text-slate-400">{feature.description}</p>
                  <FeatureRunner feature={feature} vehicles={vehicles} />
                </Card>
              ))}
            </div>
          )}
          {admin && (
            <Card title={t('helix.admin')}>
              <p className="mb-3 text-sm text-slate-600 dark:text-slate-400">{t('helix.adminHint')}</p>
              <ul className="grid gap-3 sm:grid-cols-2 xl:grid-cols-3" data-testid="helix-admin">
                {data.helixFeatures.map((f) => (
                  <AdminFeature key={`${f.name}-${f.monthlyBudget ?? ''}`} feature={f} changed={reload} />
                ))}
              </ul>
            </Card>
          )}
          {!admin && caller.error && (
            <p className="text-sm">
              <Link to="/settings" className="underline">
                {t('helix.adminNeedsToken')}
              </Link>
            </p>
          )}
        </div>
      )}
    </>
  );
}
