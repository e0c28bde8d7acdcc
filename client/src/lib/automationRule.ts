// The automation rule editor: the starter rule, parsing the JSON text, the API's per-path errors, and a
// dry run's firings in words.

import type { Problem } from './problems';

/** A starter rule (docs/automations.md): a notification when the battery falls below 20 %. */
export const STARTER_RULE = {
  name: 'Low battery',
  enabled: true,
  target: { all: true },
  trigger: { kind: 'threshold', field: 'Soc', direction: 'below', value: 20, hysteresis: 2 },
  conditions: [],
  actions: [{ kind: 'notify', title: '{vin} is at {value} %', body: 'Plug it in. ({trigger})' }],
  cooldown_s: 3600,
};

export const STARTER_TEXT = JSON.stringify(STARTER_RULE, null, 2);

export type ParsedRule = { rule: Record<string, unknown>; error: null } | { rule: null; error: string };

/** The editor's text as a rule object, or why it is not one. */
export function parseRule(text: string): ParsedRule {
  if (!text.trim()) return { rule: null, error: 'The rule is empty.' };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { rule: null, error: `Not valid JSON: ${e instanceof Error ? e.message : String(e)}` };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { rule: null, error: 'The rule must be a JSON object ({ … }).' };
  return { rule: value as Record<string, unknown>, error: null };
}

/**
 * The editor's text after the rule was turned on or off with its switch: the same rule with `enabled` as the
 * API now has it, so that saving from the editor keeps the switch's choice. Text that is not a rule object
 * (mid-edit) is left as the user typed it: saving it is refused until it is one.
 */
export function withEnabled(text: string, enabled: boolean): string {
  const parsed = parseRule(text);
  if (!parsed.rule || parsed.rule.enabled === enabled) return text;
  return JSON.stringify({ ...parsed.rule, enabled }, null, 2);
}

export interface RuleError {
  /** The path into the rule as the API names it, e.g. `rule.trigger.threshold.field`; '' for the whole rule. */
  path: string;
  message: string;
  /** `path: message`, or the message alone. */
  text: string;
}

/** The API's problems as per-path errors, in the API's order, without repeats. */
export function ruleErrors(problems: readonly Problem[]): RuleError[] {
  const seen = new Set<string>();
  const out: RuleError[] = [];
  for (const p of problems) {
    const path = p.field ?? '';
    const text = path ? `${path}: ${p.message}` : p.message;
    if (seen.has(text)) continue;
    seen.add(text);
    out.push({ path, message: p.message, text });
  }
  return out;
}

/** The top-level key of the rule a path is about (`rule.trigger.threshold.field` → `trigger`). */
export function ruleKey(path: string): string | null {
  const key = /^(?:rule\.)?([A-Za-z_][A-Za-z0-9_]*)/.exec(path)?.[1];
  return key && key !== 'rule' ? key : null;
}

/** A firing's actions in words: `notify: <title>`, `command: <name>`, `webhook: <url>`. */
export function describeActions(actions: unknown): string[] {
  if (!Array.isArray(actions)) return [];
  return actions.map((a) => {
    if (!a || typeof a !== 'object') return String(a);
    const action = a as Record<string, unknown>;
    const kind = typeof action.kind === 'string' ? action.kind : '?';
    const what = action.title ?? action.name ?? action.url;
    return typeof what === 'string' ? `${kind}: ${what}` : kind;
  });
}

const str = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value));

/** A rule's trigger in a few words: `VehicleSpeed above 8`, `Gear = "P"`, `state → driving`, `0 7 * * 1-5`. */
export function describeTrigger(rule: unknown): string {
  const trigger = rule && typeof rule === 'object' ? (rule as Record<string, unknown>).trigger : null;
  if (!trigger || typeof trigger !== 'object') return '';
  const t = trigger as Record<string, unknown>;
  switch (t.kind) {
    case 'threshold':
      return `${str(t.field)} ${str(t.direction)} ${str(t.value)}`;
    case 'equals':
      return `${str(t.field)} = ${JSON.stringify(t.value)}`;
    case 'state':
      return [t.from !== undefined ? str(t.from) : '', '→', t.to !== undefined ? str(t.to) : ''].filter(Boolean).join(' ');
    case 'charging':
      return str(t.event);
    case 'alert':
      return typeof t.name === 'string' ? t.name : '*';
    case 'schedule':
      return typeof t.timezone === 'string' && t.timezone !== 'UTC' ? `${str(t.expression)} (${t.timezone})` : str(t.expression);
    case 'geofence': {
      const circle = t.circle && typeof t.circle === 'object' ? (t.circle as Record<string, unknown>) : null;
      const where = circle?.name ?? (t.geofence_id !== undefined ? `#${str(t.geofence_id)}` : '');
      return `${str(t.event)} ${str(where)}`.trim();
    }
    default:
      return '';
  }
}

export interface RunAction {
  /** `notify: <title>` and the like. */
  text: string;
  /** What it did (the API's words), null until it ran. */
  outcome: string | null;
  failed: boolean;
}

/** A run's actions, each with its outcome once it ran ("sent to 1 channel(s)", "failed: …"). */
export function describeRunActions(actions: unknown): RunAction[] {
  if (!Array.isArray(actions)) return [];
  const texts = describeActions(actions);
  return actions.map((a, i) => {
    const raw = a && typeof a === 'object' ? (a as Record<string, unknown>).outcome : undefined;
    const outcome = raw === undefined || raw === null ? null : str(raw);
    return { text: texts[i] ?? '?', outcome, failed: outcome !== null && outcome.startsWith('failed') };
  });
}
