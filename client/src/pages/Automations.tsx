import { useId, useRef, useState } from 'react';
import { useMutation, useQuery, type CombinedError } from 'urql';
import { graphql } from '../gql';
import { useFormat, useT } from '../lib/context';
import { describeActions, describeRunActions, describeTrigger, parseRule, ruleErrors, STARTER_TEXT, withEnabled, type RuleError } from '../lib/automationRule';
import { mutationOutcome } from '../lib/problems';
import { useActionProblems } from '../lib/useFormProblems';
import { currentCursor, firstPage, nextPage, pageNumber, previousPage, type CursorStack } from '../lib/paging';
import { ApiError } from '../ui/ApiError';
import { Badge, type Tone } from '../ui/Badge';
import { Button } from '../ui/Button';
import { Card } from '../ui/Card';
import { ConfirmButton } from '../ui/ConfirmDialog';
import { ActionProblems } from '../ui/FormProblems';
import { Field, inputClass } from '../ui/Field';
import { PageHeader } from '../ui/Layout';
import { Loading, Notice } from '../ui/Notice';
import { Pager } from '../ui/Pager';
import { UserDataError } from '../ui/UserDataError';

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

const CreateRuleMutation = graphql(`
  mutation CreateAutomationRule($rule: JSON!) {
    createAutomationRule(rule: $rule) {
      rule {
        id
        name
        enabled
      }
      errors {
        ...MutationProblemFields
      }
    }
  }
`);

const UpdateRuleMutation = graphql(`
  mutation UpdateAutomationRule($id: ID!, $rule: JSON!) {
    updateAutomationRule(id: $id, rule: $rule) {
      rule {
        id
        name
        enabled
        rule
        updatedAt
      }
      errors {
        ...MutationProblemFields
      }
    }
  }
`);

const DeleteRuleMutation = graphql(`
  mutation DeleteAutomationRule($id: ID!) {
    deleteAutomationRule(id: $id) {
      removed
      errors {
        ...MutationProblemFields
      }
    }
  }
`);

const RunsQuery = graphql(`
  query AutomationRuleRuns($ruleId: ID!, $after: String) {
    automationRuns(ruleId: $ruleId, first: 5, after: $after) {
      edges {
        node {
          id
          vin
          firedAt
          trigger
          status
          actions
          finishedAt
        }
      }
      pageInfo {
        hasNextPage
        endCursor
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
        ...MutationProblemFields
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
        ...MutationProblemFields
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

const RUN_TONE: Record<string, Tone> = { pending: 'neutral', running: 'info', done: 'success', partial: 'warning', failed: 'danger' };

/** A rule's runs, newest first, five a page. */
function RuleRuns({ ruleId, name }: { ruleId: string; name: string }) {
  const t = useT();
  const format = useFormat();
  const [stack, setStack] = useState<CursorStack>(firstPage);
  const [{ data, fetching, error }, refetch] = useQuery({ query: RunsQuery, variables: { ruleId, after: currentCursor(stack) } });
  const runs = data?.automationRuns;
  return (
    <section aria-label={t('automations.runsOf', { name })} className="mt-2 rounded-md bg-slate-50 p-3 dark:bg-slate-800/60" data-testid="rule-runs">
      {error && <ApiError error={error} retry={() => refetch({ requestPolicy: 'network-only' })} />}
      {!runs && fetching && <Loading label={t('app.loading')} />}
      {runs && runs.edges.length === 0 && <p>{t(stack.length > 1 ? 'automations.noMoreRuns' : 'automations.noRuns')}</p>}
      {runs && runs.edges.length > 0 && (
        <ol className="space-y-2">
          {runs.edges.map(({ node }) => (
            <li key={node.id} data-run-id={node.id} className="space-y-1">
              <p className="flex flex-wrap items-center gap-2">
                <Badge tone={RUN_TONE[node.status] ?? 'neutral'}>{node.status}</Badge>
                <time dateTime={node.firedAt}>{format.dateTime(node.firedAt)}</time>
                <span>· {node.vin}</span>
              </p>
              <p className="text-slate-700 dark:text-slate-300">{node.trigger}</p>
              <ul className="ml-4 list-disc text-slate-600 dark:text-slate-400">
                {describeRunActions(node.actions).map((a, i) => (
                  <li key={i} className={a.failed ? 'text-red-700 dark:text-red-400' : undefined}>
                    {a.text}
                    {a.outcome && ` → ${a.outcome}`}
                  </li>
                ))}
              </ul>
            </li>
          ))}
        </ol>
      )}
      {runs && (
        <Pager
          page={pageNumber(stack)}
          hasPrevious={stack.length > 1}
          hasNext={runs.pageInfo.hasNextPage}
          onPrevious={() => setStack((s) => previousPage(s))}
          onNext={() => setStack((s) => nextPage(s, runs.pageInfo.endCursor))}
        />
      )}
    </section>
  );
}

type RuleRow = { id: string; name: string; enabled: boolean; rule: unknown; updatedAt: string };

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
  const [updateState, update] = useMutation(UpdateRuleMutation);
  const [deleteState, remove] = useMutation(DeleteRuleMutation);
  const [editing, setEditing] = useState<{ id: string; name: string } | null>(null);
  const [runsOf, setRunsOf] = useState<string | null>(null);
  const [removed, setRemoved] = useState<string | null>(null);
  // the editor's request that failed (a save or a dry run): shown above its buttons, never left unsaid
  const [failure, setFailure] = useState<CombinedError | null>(null);
  // the list's actions (turning a rule on or off, deleting it)
  const listProblems = useActionProblems();
  const editorRef = useRef<HTMLTextAreaElement | null>(null);
  const problemsRef = useRef<HTMLDivElement>(null);
  const problemsId = useId();

  const showProblems = (list: RuleError[]) => {
    setProblems(list);
    if (list.length) setTimeout(() => problemsRef.current?.focus(), 0);
  };
  const parsed = () => {
    setSaved(null);
    setFailure(null);
    const p = parseRule(text);
    if (p.error !== null) showProblems([{ path: '', message: p.error, text: p.error }]);
    return p.rule;
  };
  /** The payload of the editor's mutation, or null with why shown (the request's error or the rule's problems). */
  const settle = <P extends { errors: Parameters<typeof ruleErrors>[0] }>(outcome: { payload: P; error: null } | { payload: null; error: CombinedError }): P | null => {
    if (outcome.error) {
      setFailure(outcome.error);
      return null;
    }
    showProblems(ruleErrors(outcome.payload.errors));
    return outcome.payload;
  };
  const save = async () => {
    setFirings(null);
    const rule = parsed();
    if (!rule) return;
    if (editing) {
      const payload = settle(mutationOutcome(await update({ id: editing.id, rule }), (data) => data.updateAutomationRule));
      if (payload?.rule) {
        setSaved(t('automations.updated', { name: payload.rule.name }));
        setEditing({ id: payload.rule.id, name: payload.rule.name });
        setText(JSON.stringify(payload.rule.rule, null, 2));
        reload();
      }
      return;
    }
    const payload = settle(mutationOutcome(await create({ rule }), (data) => data.createAutomationRule));
    if (payload?.rule) {
      setSaved(t('automations.saved', { name: payload.rule.name }));
      reload();
    }
  };
  const startEditing = (r: RuleRow) => {
    setEditing({ id: r.id, name: r.name });
    setText(JSON.stringify(r.rule, null, 2));
    setProblems([]);
    setSaved(null);
    setFailure(null);
    setFirings(null);
    setRemoved(null);
    setTimeout(() => editorRef.current?.focus(), 0);
  };
  const stopEditing = () => {
    setEditing(null);
    setText(STARTER_TEXT);
    setProblems([]);
    setSaved(null);
    setFailure(null);
  };
  const toggle = async (r: RuleRow, enabled: boolean) => {
    listProblems.clear();
    const payload = listProblems.settle(await setEnabled({ id: r.id, enabled }), (data) => data.setAutomationRuleEnabled, { withField: true });
    // the rule open in the editor follows its switch, so that saving it does not undo the switch
    if (payload?.rule && editing?.id === r.id) {
      const now = payload.rule.enabled;
      setText((current) => withEnabled(current, now));
    }
    reload();
  };
  const confirmDelete = async (r: RuleRow) => {
    listProblems.clear();
    setRemoved(null);
    const payload = listProblems.settle(await remove({ id: r.id }), (data) => data.deleteAutomationRule, { withField: true });
    if (payload?.removed) {
      setRemoved(t('automations.deleted', { name: r.name }));
      if (editing?.id === r.id) stopEditing();
      if (runsOf === r.id) setRunsOf(null);
      reload();
    }
  };
  const dry = async () => {
    setFirings(null);
    const rule = parsed();
    if (!rule) return;
    const payload = settle(mutationOutcome(await dryRun({ rule }), (data) => data.dryRunAutomationRule));
    if (payload && !payload.errors.length) setFirings(payload.firings);
  };

  return (
    <>
      <PageHeader title={t('automations.title')} />
      <UserDataError error={error} retry={reload} />
      {!data && fetching && <Loading label={t('app.loading')} />}
      <div className="grid gap-4 lg:grid-cols-2">
        <Card title={editing ? t('automations.editing', { name: editing.name }) : t('automations.editor')}>
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
                  ref={editorRef}
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
            {failure && <ApiError error={failure} />}
            {saved && <Notice tone="success">{saved}</Notice>}
            <div className="flex flex-wrap gap-2">
              <Button type="submit" busy={createState.fetching || updateState.fetching}>
                {t(editing ? 'automations.saveChanges' : 'automations.save')}
              </Button>
              <Button variant="secondary" busy={dryState.fetching} onClick={dry}>
                {t('automations.dryRun')}
              </Button>
              {editing ? (
                <Button variant="ghost" onClick={stopEditing}>
                  {t('automations.stopEditing')}
                </Button>
              ) : (
                <Button
                  variant="ghost"
                  onClick={() => {
                    setText(STARTER_TEXT);
                    setProblems([]);
                  }}
                >
                  {t('automations.reset')}
                </Button>
              )}
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
              <ActionProblems problem={listProblems.problem} failure={listProblems.failure} />
              {removed && (
                <div className="mb-2">
                  <Notice tone="success">{removed}</Notice>
                </div>
              )}
              <ul className="space-y-3 text-sm">
                {data.automationRules.map((r) => (
                  <li key={r.id} className="flex flex-wrap items-center justify-between gap-2" data-rule-id={r.id}>
                    <div className="min-w-0">
                      <p className="font-medium">
                        {r.name}
                        {editing?.id === r.id && (
                          <span className="ml-2">
                            <Badge tone="info">{t('automations.beingEdited')}</Badge>
                          </span>
                        )}
                      </p>
                      <p className="flex flex-wrap items-center gap-2 text-slate-600 dark:text-slate-400">
                        <Badge>{t('automations.trigger', { kind: triggerKind(r.rule) })}</Badge>
                        <span className="font-mono text-xs" data-testid="rule-trigger">
                          {describeTrigger(r.rule)}
                        </span>
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
                          onChange={(e) => void toggle(r, e.target.checked)}
                        />
                      )}
                    </Field>
                    <div className="flex basis-full flex-wrap gap-1">
                      <Button variant="ghost" className="min-h-8 px-2 py-1" aria-label={`${t('automations.edit')}: ${r.name}`} onClick={() => startEditing(r)}>
                        {t('automations.edit')}
                      </Button>
                      <Button
                        variant="ghost"
                        className="min-h-8 px-2 py-1"
                        aria-label={`${t('automations.runs')}: ${r.name}`}
                        aria-expanded={runsOf === r.id}
                        onClick={() => setRunsOf(runsOf === r.id ? null : r.id)}
                      >
                        {t('automations.runs')}
                      </Button>
                      <ConfirmButton
                        variant="ghost"
                        className="min-h-8 px-2 py-1 text-red-700 dark:text-red-400"
                        label={t('automations.delete')}
                        accessibleLabel={`${t('automations.delete')}: ${r.name}`}
                        title={t('automations.deleteTitle', { name: r.name })}
                        confirmLabel={t('automations.delete')}
                        cancelLabel={t('notifications.cancel')}
                        busy={deleteState.fetching}
                        onConfirm={() => confirmDelete(r)}
                      >
                        {t('automations.deleteBody')}
                      </ConfirmButton>
                    </div>
                    {runsOf === r.id && (
                      <div className="basis-full">
                        <RuleRuns ruleId={r.id} name={r.name} />
                      </div>
                    )}
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
