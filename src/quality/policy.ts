/**
 * What a failed rule does, worked out once for the activity and for `ferry validate`: the rule's
 * own on_fail, else the stage's. A table rule cannot quarantine rows: under a stage-wide
 * `on_fail: quarantine` it fails the run instead (a rule-level `on_fail: quarantine` on a table
 * rule is a config error). Warn rules never split a dataset.
 *
 *   effectiveOnFail(rule, spec)   // 'fail' | 'quarantine' | 'ask'
 */
import type { OnFail } from './rule.js';
import type { RuleSpec } from './rules/index.js';
import { RULES } from './rules/index.js';

export const kindOf = (rule: RuleSpec): 'row' | 'table' => RULES[rule.rule].kind;

export function effectiveOnFail(rule: RuleSpec, stage: { on_fail: OnFail }): OnFail {
  if (rule.on_fail) return rule.on_fail;
  return kindOf(rule) === 'table' && stage.on_fail === 'quarantine' ? 'fail' : stage.on_fail;
}

/** True when the rule's violating rows go to `<dataset>_rejects` if it fails. */
export const splits = (rule: RuleSpec, stage: { on_fail: OnFail }): boolean =>
  kindOf(rule) === 'row' && rule.severity !== 'warn' && effectiveOnFail(rule, stage) !== 'fail';

/** The datasets the quality stage splits in two (each gets `<dataset>_rejects`), in rule order. */
export function splitDatasets(stage: { on_fail: OnFail; rules: RuleSpec[] }): string[] {
  return [...new Set(stage.rules.filter((r) => splits(r, stage)).map((r) => r.dataset))];
}
