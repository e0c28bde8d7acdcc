import { useCallback, useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import { useParams, useSearchParams } from 'react-router';
import { useMutation, useQuery, useSubscription, type CombinedError } from 'urql';
import { graphql } from '../gql';
import type { CommandStatus, VehicleCommand } from '../gql/graphql';
import { errorCode } from '../lib/api';
import { mutationOutcome } from '../lib/problems';
import {
  controlFor,
  initialValues,
  newIdempotencyKey,
  paramOfField,
  validateParams,
  type FieldError,
  type ParamSpec,
  type RawValues,
} from '../lib/commandForm';
import { useFormat, useT, type Translate } from '../lib/context';
import { humanize } from '../lib/signals';
import { ApiError } from '../ui/ApiError';
import { Badge, type Tone } from '../ui/Badge';
import { Button } from '../ui/Button';
import { Card } from '../ui/Card';
import { CarNav } from '../ui/CarNav';
import { Field, inputClass, type FieldRenderProps } from '../ui/Field';
import { PageHeader } from '../ui/Layout';
import { Loading, Notice } from '../ui/Notice';
import { StepUpDialog } from '../ui/StepUpDialog';
import { TristateSelect } from '../ui/TristateSelect';

const CommandsQuery = graphql(`
  query CommandsPage($vin: String!) {
    vehicle(vin: $vin) {
      vin
      displayName
    }
    commandCatalogue {
      command
      category
      description
      sensitive
      signed
      parameters {
        name
        kind
        description
        required
        minimum
        maximum
        choices
        choiceValues
        unit
        maxLength
        secret
      }
    }
    commands(vin: $vin, first: 10) {
      edges {
        node {
          id
          command
          status
          errorCode
          error
          createdAt
          finishedAt
        }
      }
    }
  }
`);

const SendCommandMutation = graphql(`
  mutation SendCommand($vin: String!, $command: VehicleCommand!, $params: JSON, $idempotencyKey: String) {
    sendCommand(vin: $vin, command: $command, params: $params, idempotencyKey: $idempotencyKey) {
      command {
        id
        command
        status
      }
      duplicate
      errors {
        __typename
        ... on InvalidParameter {
          field
          message
        }
        ... on CommandRefusal {
          code
          message
        }
      }
    }
  }
`);

const CommandStatusSubscription = graphql(`
  subscription CommandStatus($id: ID!) {
    commandStatus(id: $id) {
      id
      command
      status
      errorCode
      error
      createdAt
      finishedAt
      steps {
        at
        step
        detail
      }
    }
  }
`);

interface Description {
  command: VehicleCommand;
  category: string;
  description: string;
  sensitive: boolean;
  signed: boolean;
  parameters: ParamSpec[];
}

const STATUS_TONES: Record<CommandStatus, Tone> = { PENDING: 'neutral', SENT: 'info', SUCCEEDED: 'success', FAILED: 'danger' };

function StatusBadge({ status }: { status: CommandStatus }) {
  const t = useT();
  return <Badge tone={STATUS_TONES[status]}>{t(`commandStatus.${status}`)}</Badge>;
}

function fieldErrorText(t: Translate, error: FieldError): string {
  return t(error.key, error.params);
}

function rangeHint(t: Translate, spec: ParamSpec): string | null {
  const max = spec.maximum !== null && spec.maximum !== undefined && spec.maximum < Number.MAX_SAFE_INTEGER ? spec.maximum : null;
  if (spec.minimum !== null && spec.minimum !== undefined && max !== null) return t('commands.allowedRange', { min: spec.minimum, max });
  if (spec.minimum !== null && spec.minimum !== undefined) return t('commands.allowedMin', { min: spec.minimum });
  return null;
}

/** One parameter's input, chosen by its kind. */
function ParamInput({
  spec,
  value,
  onChange,
  props,
}: {
  spec: ParamSpec;
  value: string | boolean;
  onChange: (value: string | boolean) => void;
  props: FieldRenderProps;
}) {
  const t = useT();
  const text = typeof value === 'string' ? value : '';
  switch (controlFor(spec)) {
    case 'checkbox':
      return (
        <input
          type="checkbox"
          {...props}
          checked={value === true}
          onChange={(e) => onChange(e.target.checked)}
          className="size-5 rounded border-slate-400 accent-blue-700"
        />
      );
    case 'tristate':
      return <TristateSelect {...props} value={text} onChange={onChange} />;
    case 'select':
      return (
        <select {...props} value={text} onChange={(e) => onChange(e.target.value)} className={inputClass}>
          <option value="">{spec.required ? t('commands.chooseOption') : t('commands.notSet')}</option>
          {spec.choices.map((choice) => (
            <option key={choice} value={choice}>
              {choice}
            </option>
          ))}
        </select>
      );
    case 'number':
      return (
        <input
          type="text"
          inputMode={spec.kind === 'int' && (spec.minimum ?? 0) >= 0 ? 'numeric' : 'decimal'}
          autoComplete="off"
          {...props}
          value={text}
          onChange={(e) => onChange(e.target.value)}
          className={`${inputClass} max-w-48`}
        />
      );
    case 'json':
      return <textarea {...props} rows={4} value={text} onChange={(e) => onChange(e.target.value)} className={`${inputClass} font-mono`} />;
    case 'password':
      return (
        <input
          type="password"
          autoComplete="off"
          {...props}
          value={text}
          maxLength={spec.maxLength ?? undefined}
          onChange={(e) => onChange(e.target.value)}
          className={inputClass}
        />
      );
    default:
      return (
        <input
          type="text"
          {...props}
          value={text}
          onChange={(e) => onChange(e.target.value)}
          className={inputClass}
        />
      );
  }
}

interface Sent {
  id: string;
  duplicate: boolean;
}

/** The form for one command; `onSent` gets the recorded command. */
function CommandForm({ vin, description, onSent }: { vin: string; description: Description; onSent: (sent: Sent) => void }) {
  const t = useT();
  const specs = description.parameters;
  const [values, setValues] = useState<RawValues>(() => initialValues(specs));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [problems, setProblems] = useState<string[]>([]);
  const [requestError, setRequestError] = useState<CombinedError | null>(null);
  const [stepUp, setStepUp] = useState(false);
  const [{ fetching }, send] = useMutation(SendCommandMutation);
  const form = useRef<HTMLFormElement>(null);
  const focusError = useRef(false);
  // one key per attempt: a retry of the same attempt (after step-up) can never send twice
  const attempt = useRef<{ key: string; params: Record<string, unknown> } | null>(null);

  useEffect(() => {
    if (!focusError.current) return;
    focusError.current = false;
    form.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  });

  function change(name: string, value: string | boolean) {
    setValues((previous) => ({ ...previous, [name]: value }));
    attempt.current = null;
    if (errors[name]) setErrors(({ [name]: _gone, ...rest }) => rest);
  }

  const dispatch = useCallback(async () => {
    const current = attempt.current;
    if (!current) return;
    setRequestError(null);
    setProblems([]);
    const result = await send({ vin, command: description.command, params: current.params, idempotencyKey: current.key });
    if (result.error) {
      const code = errorCode(result.error);
      if (code === 'STEP_UP_REQUIRED') setStepUp(true);
      else setRequestError(result.error);
      return;
    }
    const payload = result.data?.sendCommand;
    if (!payload) {
      // an answer without its payload: said, never a silent stop
      setRequestError(mutationOutcome(result, (data) => data.sendCommand).error);
      return;
    }
    if (payload.errors.length > 0) {
      const fieldErrors: Record<string, string> = {};
      const other: string[] = [];
      for (const problem of payload.errors) {
        if (problem.__typename === 'InvalidParameter') {
          const param = paramOfField(problem.field);
          if (param && specs.some((s) => s.name === param)) fieldErrors[param] = problem.message;
          else other.push(problem.message);
        } else if (problem.__typename === 'CommandRefusal') {
          other.push(t('commands.refused', { code: problem.code, message: problem.message }));
        }
      }
      focusError.current = Object.keys(fieldErrors).length > 0;
      setErrors(fieldErrors);
      setProblems(other);
      attempt.current = null;
      return;
    }
    if (payload.command) {
      attempt.current = null;
      onSent({ id: payload.command.id, duplicate: payload.duplicate });
    }
  }, [send, vin, description.command, specs, t, onSent]);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const { params, errors: invalid } = validateParams(specs, values);
    const messages = Object.fromEntries(Object.entries(invalid).map(([name, error]) => [name, fieldErrorText(t, error)]));
    setErrors(messages);
    setProblems([]);
    if (Object.keys(messages).length > 0) {
      focusError.current = true;
      return; // nothing is sent while a field is wrong
    }
    attempt.current ??= { key: newIdempotencyKey(), params };
    await dispatch();
  }

  const errorCount = Object.keys(errors).length;
  return (
    <>
      <form ref={form} onSubmit={submit} noValidate className="space-y-4" aria-label={humanize(description.command)}>
        <p className="text-sm text-slate-700 dark:text-slate-300">{description.description}</p>
        <div className="flex flex-wrap gap-2">
          {description.sensitive && <Badge tone="warning">{t('commands.sensitive')}</Badge>}
          {description.signed && <Badge tone="info">{t('commands.signed')}</Badge>}
        </div>
        {errorCount > 0 && (
          <Notice tone="error">
            <p>{t('commands.fixErrors', { count: errorCount })}</p>
          </Notice>
        )}
        {problems.length > 0 && (
          <Notice tone="error">
            {problems.map((problem) => (
              <p key={problem}>{problem}</p>
            ))}
          </Notice>
        )}
        {requestError && <ApiError error={requestError} />}
        {specs.length === 0 && <p className="text-sm">{t('commands.noParameters')}</p>}
        {specs.map((spec) => {
          const control = controlFor(spec);
          const label = spec.unit ? `${humanize(spec.name)} (${spec.unit})` : humanize(spec.name);
          const hint = [spec.description, rangeHint(t, spec)].filter(Boolean).join(' ');
          return (
            <Field
              key={spec.name}
              label={label}
              hint={hint}
              error={errors[spec.name] ?? null}
              required={spec.required && control !== 'checkbox'}
              note={spec.required ? undefined : `(${t('commands.optional')})`}
              inline={control === 'checkbox'}
            >
              {(props) => (
                <ParamInput spec={spec} value={values[spec.name] ?? ''} onChange={(v) => change(spec.name, v)} props={props} />
              )}
            </Field>
          );
        })}
        <Button type="submit" busy={fetching}>
          {fetching ? t('commands.sending') : t('commands.send')}
        </Button>
      </form>
      {/* outside the command's form: a form may not hold another */}
      <StepUpDialog
        open={stepUp}
        onCancel={() => setStepUp(false)}
        onVerified={() => {
          setStepUp(false);
          void dispatch();
        }}
      />
    </>
  );
}

/** A sent command's status, live until it ends. */
function CommandProgress({ sent, onFinished }: { sent: Sent; onFinished: () => void }) {
  const t = useT();
  const format = useFormat();
  const [{ data, error }] = useSubscription({ query: CommandStatusSubscription, variables: { id: sent.id } });
  const command = data?.commandStatus;
  const finished = command?.status === 'SUCCEEDED' || command?.status === 'FAILED';
  useEffect(() => {
    if (finished) onFinished();
  }, [finished, onFinished]);
  return (
    <Card title={t('commands.status')} level={2}>
      <div role="status" aria-live="polite" data-testid="command-status" data-status={command?.status ?? 'PENDING'} className="space-y-3">
        {sent.duplicate && <p className="text-sm">{t('commands.duplicate')}</p>}
        {error && <ApiError error={error} />}
        {!command && !error && <Loading label={t('app.loading')} />}
        {command && (
          <>
            <p className="flex flex-wrap items-center gap-2">
              <span className="font-medium">{humanize(command.command)}</span>
              <StatusBadge status={command.status} />
              {command.errorCode && <code className="text-sm">{t('commands.failedWith', { code: command.errorCode })}</code>}
            </p>
            {command.error && <p className="text-sm">{command.error}</p>}
            <div>
              <h3 className="text-sm font-semibold">{t('commands.steps')}</h3>
              <ol className="mt-1 space-y-1 text-sm">
                {command.steps.map((step, index) => (
                  <li key={`${step.at}-${index}`} className="flex gap-3">
                    <time dateTime={step.at} className="tabular-nums text-slate-600 dark:text-slate-400">
                      {format.time(step.at)}
                    </time>
                    <span>{humanize(step.step)}</span>
                    {step.detail && <span className="text-slate-600 dark:text-slate-400">{step.detail}</span>}
                  </li>
                ))}
              </ol>
            </div>
          </>
        )}
      </div>
    </Card>
  );
}

export default function Commands() {
  const { vin = '' } = useParams();
  const t = useT();
  const format = useFormat();
  const [search, setSearch] = useSearchParams();
  const [{ data, fetching, error }, refetch] = useQuery({ query: CommandsQuery, variables: { vin } });
  const [sent, setSent] = useState<Sent | null>(null);

  const catalogue = useMemo(() => (data?.commandCatalogue ?? []) as Description[], [data?.commandCatalogue]);
  const categories = useMemo(() => {
    const groups = new Map<string, Description[]>();
    for (const entry of catalogue) groups.set(entry.category, [...(groups.get(entry.category) ?? []), entry]);
    return [...groups.entries()];
  }, [catalogue]);
  const chosenName = search.get('command') ?? 'SET_CHARGE_LIMIT';
  const chosen = catalogue.find((entry) => entry.command === chosenName) ?? catalogue[0];
  const refresh = useCallback(() => refetch({ requestPolicy: 'network-only' }), [refetch]);
  const onSent = useCallback(
    (next: Sent) => {
      setSent(next);
      refresh();
    },
    [refresh],
  );

  if (!data) {
    return (
      <>
        <PageHeader title={t('commands.title')} />
        {error && <ApiError error={error} retry={refresh} />}
        {fetching && <Loading label={t('app.loading')} />}
      </>
    );
  }
  if (!data.vehicle) {
    return (
      <>
        <PageHeader title={t('commands.title')} />
        <Notice tone="error">{t('errors.notFound')}</Notice>
      </>
    );
  }
  const name = data.vehicle.displayName || data.vehicle.vin;
  return (
    <>
      <PageHeader title={`${name}: ${t('commands.title')}`} />
      <CarNav vin={data.vehicle.vin} />
      <div className="grid gap-4 lg:grid-cols-[minmax(0,3fr)_minmax(0,2fr)]">
        <Card>
          <div className="mb-4">
            <Field label={t('commands.choose')} hint={t('commands.chooseHint')}>
              {(props) => (
                <select
                  {...props}
                  value={chosen?.command ?? ''}
                  onChange={(e) => {
                    setSent(null);
                    setSearch({ command: e.target.value }, { replace: true });
                  }}
                  className={inputClass}
                >
                  {categories.map(([category, entries]) => (
                    <optgroup key={category} label={humanize(category)}>
                      {entries.map((entry) => (
                        <option key={entry.command} value={entry.command}>
                          {humanize(entry.command)}
                        </option>
                      ))}
                    </optgroup>
                  ))}
                </select>
              )}
            </Field>
          </div>
          {chosen && <CommandForm key={chosen.command} vin={data.vehicle.vin} description={chosen} onSent={onSent} />}
        </Card>
        <div className="space-y-4">
          {sent && <CommandProgress key={sent.id} sent={sent} onFinished={refresh} />}
          <Card title={t('commands.recent')}>
            {data.commands.edges.length === 0 ? (
              <p className="text-sm">{t('commands.noneYet')}</p>
            ) : (
              <ul className="divide-y divide-slate-200 text-sm dark:divide-slate-800">
                {data.commands.edges.map(({ node }) => (
                  <li key={node.id} className="flex flex-wrap items-center gap-2 py-2">
                    <span className="font-medium">{humanize(node.command)}</span>
                    <StatusBadge status={node.status} />
                    {node.errorCode && <code className="text-xs">{node.errorCode}</code>}
                    <time dateTime={node.createdAt} className="ml-auto text-slate-600 dark:text-slate-400">
                      {format.dateTime(node.createdAt)}
                    </time>
                  </li>
                ))}
              </ul>
            )}
          </Card>
        </div>
      </div>
    </>
  );
}

