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
