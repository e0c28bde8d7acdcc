import { useId, useRef, useState } from 'react';
import { useMutation, useQuery } from 'urql';
import { graphql } from '../gql';
import { useFormat, useT } from '../lib/context';
import { describeActions, parseRule, ruleErrors, STARTER_TEXT, type RuleError } from '../lib/automationRule';
import { Link } from 'react-router';
import { errorCode } from '../lib/api';
import { ApiError } from '../ui/ApiError';
import { Badge } from '../ui/Badge';
import { Button } from '../ui/Button';
import { Card } from '../ui/Card';
import { Field, inputClass } from '../ui/Field';
import { PageHeader } from '../ui/Layout';
import { Loading, Notice } from '../ui/Notice';

const RulesQuery = graphql(`
  query AutomationsPage {
    automationRules {
      id
      name
      enabled
      rule
      updatedAt
    }
  }
`);

// the problems of every rule mutation
graphql(`
  fragment RuleProblem on MutationProblem {
    __typename
    ... on InvalidInput {
      field
      message
    }
    ... on NotFoundProblem {
      field
      message
    }
  }
`);

const CreateRuleMutation = graphql(`
  mutation CreateAutomationRule($rule: JSON!) {
    createAutomationRule(rule: $rule) {
      rule {
        id
        name
        enabled
      }
      errors {
        ...RuleProblem
      }
    }
  }
`);

const SetEnabledMutation = graphql(`
  mutation SetAutomationRuleEnabled($id: ID!, $enabled: Boolean!) {
    setAutomationRuleEnabled(id: $id, enabled: $enabled) {
      rule {
        id
        enabled
      }
      errors {
        ...RuleProblem
      }
    }
  }
`);

const DryRunMutation = graphql(`
  mutation DryRunAutomationRule($rule: JSON!) {
    dryRunAutomationRule(rule: $rule, days: 7) {
      firings {
        vin
        at
        trigger
        actions
      }
      errors {
        ...RuleProblem
      }
    }
  }
`);

type Firing = { vin: string; at: string; trigger: string; actions: unknown };

function triggerKind(rule: unknown): string {
  const trigger = rule && typeof rule === 'object' ? (rule as Record<string, unknown>).trigger : null;
  const kind = trigger && typeof trigger === 'object' ? (trigger as Record<string, unknown>).kind : null;
  return typeof kind === 'string' ? kind : '?';
}

export default function Automations() {
  const t = useT();
  const format = useFormat();
  const [{ data, fetching, error }, refetch] = useQuery({ query: RulesQuery });
  const reload = () => refetch({ requestPolicy: 'network-only' });
  const [text, setText] = useState(STARTER_TEXT);
  const [problems, setProblems] = useState<RuleError[]>([]);
  const [saved, setSaved] = useState<string | null>(null);
  const [firings, setFirings] = useState<Firing[] | null>(null);
  const [createState, create] = useMutation(CreateRuleMutation);
  const [dryState, dryRun] = useMutation(DryRunMutation);
  const [enableState, setEnabled] = useMutation(SetEnabledMutation);
  const problemsRef = useRef<HTMLDivElement>(null);
  const problemsId = useId();

  const showProblems = (list: RuleError[]) => {
    setProblems(list);
    if (list.length) setTimeout(() => problemsRef.current?.focus(), 0);
  };
  const parsed = () => {
    setSaved(null);
    const p = parseRule(text);
    if (p.error !== null) showProblems([{ path: '', message: p.error, text: p.error }]);
    return p.rule;
  };
  const save = async () => {
    setFirings(null);
    const rule = parsed();
    if (!rule) return;
    const r = await create({ rule });
    const payload = r.data?.createAutomationRule;
    if (!payload) return;
    showProblems(ruleErrors(payload.errors));
    if (payload.rule) {
      setSaved(t('automations.saved', { name: payload.rule.name }));
      reload();
    }
  };
  const dry = async () => {
    setFirings(null);
    const rule = parsed();
    if (!rule) return;
    const r = await dryRun({ rule });
    const payload = r.data?.dryRunAutomationRule;
    if (!payload) return;
    showProblems(ruleErrors(payload.errors));
    if (!payload.errors.length) setFirings(payload.firings);
  };

  return (
    <>
      <PageHeader title={t('automations.title')} />
      {error && <ApiError error={error} retry={reload} />}
      {error && errorCode(error) === 'FORBIDDEN' && (
        <div className="mt-2">
          <Notice>
            <Link to="/settings" className="underline">
              {t('notifications.needsUser')}
            </Link>
          </Notice>
        </div>
      )}
      {!data && fetching && <Loading label={t('app.loading')} />}
      <div className="grid gap-4 lg:grid-cols-2">
        <Card title={t('automations.editor')}>
          <form
            className="space-y-4"
            noValidate
            onSubmit={(e) => {
              e.preventDefault();
              void save();
            }}
          >
            <Field label={t('automations.json')} hint={t('automations.jsonHint')} error={problems.length ? t('automations.refused') : null}>
              {(props) => (
                <textarea
                  {...props}
                  aria-describedby={[props['aria-describedby'], problems.length ? problemsId : ''].filter(Boolean).join(' ') || undefined}
                  rows={18}
                  spellCheck={false}
                  className={`${inputClass} font-mono text-xs`}
                  value={text}
                  onChange={(e) => setText(e.target.value)}
                />
              )}
            </Field>
            <div ref={problemsRef} tabIndex={-1} className="outline-none">
              {problems.length > 0 && (
                <Notice tone="error" title={t('automations.refused')}>
                  <ul id={problemsId} data-testid="rule-errors" className="list-disc pl-4">
                    {problems.map((p) => (
                      <li key={p.text}>
                        {p.path && <code className="font-mono">{p.path}</code>}
                        {p.path ? `: ${p.message}` : p.message}
                      </li>
                    ))}
                  </ul>
                </Notice>
              )}
            </div>
            {createState.error && <ApiError error={createState.error} />}
            {dryState.error && <ApiError error={dryState.error} />}
            {saved && <Notice tone="success">{saved}</Notice>}
            <div className="flex flex-wrap gap-2">
              <Button type="submit" busy={createState.fetching}>
                {t('automations.save')}
              </Button>
              <Button variant="secondary" busy={dryState.fetching} onClick={dry}>
                {t('automations.dryRun')}
              </Button>
              <Button
                variant="ghost"
                onClick={() => {
                  setText(STARTER_TEXT);
                  setProblems([]);
                }}
              >
                {t('automations.reset')}
              </Button>
            </div>
          </form>
        </Card>
        <div className="space-y-4">
          {firings && (
            <Card title={t('automations.firings')}>
              <p role="status" className="mb-2 text-sm">
                {firings.length === 0 ? t('automations.noFirings') : t('automations.firingsCount', { count: firings.length })}
              </p>
              <ol className="space-y-2 text-sm" data-testid="firings">
                {firings.map((f, i) => (
                  <li key={`${f.vin}-${f.at}-${i}`}>
                    <p>
                      <time dateTime={f.at}>{format.dateTime(f.at)}</time> · {f.vin} · {f.trigger}
                    </p>
                    <ul className="ml-4 list-disc text-slate-600 dark:text-slate-400">
                      {describeActions(f.actions).map((a, j) => (
                        <li key={j}>{a}</li>
                      ))}
                    </ul>
                  </li>
                ))}
              </ol>
            </Card>
          )}
          {data && (
            <Card title={t('automations.rules')}>
              {data.automationRules.length === 0 && <p className="text-sm">{t('automations.noRules')}</p>}
              {enableState.error && <ApiError error={enableState.error} />}
              <ul className="space-y-2 text-sm">
                {data.automationRules.map((r) => (
                  <li key={r.id} className="flex flex-wrap items-center justify-between gap-2" data-rule-id={r.id}>
                    <div>
                      <p className="font-medium">{r.name}</p>
                      <p className="flex items-center gap-2 text-slate-600 dark:text-slate-400">
                        <Badge>{t('automations.trigger', { kind: triggerKind(r.rule) })}</Badge>
                        <time dateTime={r.updatedAt}>{format.dateTime(r.updatedAt)}</time>
                      </p>
                    </div>
                    <Field label={<>{t('automations.enabled')}<span className="sr-only">: {r.name}</span></>} inline>
                      {(props) => (
                        <input
                          {...props}
                          type="checkbox"
                          role="switch"
                          className="h-4 w-4"
                          checked={r.enabled}
                          disabled={enableState.fetching}
                          onChange={async (e) => {
                            await setEnabled({ id: r.id, enabled: e.target.checked });
                            reload();
                          }}
                        />
                      )}
                    </Field>
                  </li>
                ))}
              </ul>
            </Card>
          )}
        </div>
      </div>
    </>
  );
}
