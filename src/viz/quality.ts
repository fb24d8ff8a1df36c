/**
 * The quality stage on the graph: one node per checked dataset, holding its rules from the
 * pipeline's `quality:` section, between the last transform and the sinks; and, for a run, each
 * rule's result and the node's part in the gate (waiting, the decision). A dataset with a row rule
 * whose on_fail is quarantine or ask is split by the stage (src/run.ts QualityOutput), so it gets
 * two dataset nodes after it: the kept rows (what sinks read) and `<dataset>_rejects`.
 *
 *   const nodes = qualityNodes(spec.quality);          // [{ dataset, rules, reads, split }]
 *   qualityState(node, report, stage)                  // { status: 'waiting', checks: '1 failed · 2 ok', rules: [...] }
 */
import type { QualitySpec } from '../quality/schema.js';
import type { RunReport, RuleOutcome, StageReport, Decision } from '../run.js';
import { ruleOf, ruleName } from '../quality/rules/index.js';
import type { NodeRun } from './run-state.js';
import { summarize, type VizNode } from './model.js';

/** A rule as the graph lists it: what the pipeline says, with the effective on_fail. */
export type VizRule = {
  name: string;
  /** The rule kind as written (`not_null`, `row_count`, …). */
  rule: string;
  /** Row rules name violating rows (and can quarantine them); table rules judge the dataset. */
  kind: 'row' | 'table';
  severity: 'error' | 'warn';
  onFail: 'fail' | 'quarantine' | 'ask';
  /** Its parameters in one line (`columns: [id] · mostly: 0.995`). */
  summary: string;
};

/** One rule's result in a run. `warned`: a warn rule that failed; `not run`: the stage never checked it. */
export type RuleResult = VizRule & {
  status: 'passed' | 'failed' | 'warned' | 'not evaluated' | 'pending' | 'not run';
  checked?: number;
  failed?: number;
  threshold?: string;
  message?: string;
  value?: number;
  expected?: string;
  samples?: Record<string, string | null>[];
};

export type QualityGroup = { dataset: string; rules: VizRule[]; reads: string[]; split: boolean };

/** The rules grouped by the dataset they check, in the order the pipeline lists them. */
export function qualityNodes(quality: QualitySpec | undefined): QualityGroup[] {
  const groups = new Map<string, QualityGroup>();
  for (const spec of quality?.rules ?? []) {
    const rule = ruleOf(spec);
    const onFail = spec.on_fail ?? quality!.on_fail;
    const group = groups.get(spec.dataset) ?? { dataset: spec.dataset, rules: [], reads: [spec.dataset], split: false };
    group.rules.push({
      name: ruleName(spec), rule: spec.rule, kind: rule.kind, severity: spec.severity, onFail,
      summary: summarize(spec as unknown as Record<string, unknown>, ['rule', 'dataset', 'name', 'description', 'severity', 'on_fail']),
    });
    for (const other of rule.reads?.(spec as never) ?? []) if (!group.reads.includes(other)) group.reads.push(other);
    if (rule.kind === 'row' && (onFail === 'quarantine' || onFail === 'ask')) group.split = true;
    groups.set(spec.dataset, group);
  }
  return [...groups.values()];
}

const DECIDED: Record<Decision['decision'], string> = { approve: 'approved', reject: 'rejected', quarantine: 'quarantined' };

/** The node's status, its rules' results and counts, and what the gate says of it. */
export function qualityState(node: VizNode, report: RunReport, stage: StageReport): NodeRun {
  const outcomes = (report.quality?.outcomes ?? []).filter((o) => o.dataset === node.dataset);
  const ended = report.status !== 'running' && report.status !== 'waiting';
  const rules: RuleResult[] = (node.rules ?? []).map((r) => resultOf(r, outcomes.find((o) => o.name === r.name), ended));
  // A rule the plan does not list (a report read with a newer pipeline file): shown, not dropped.
  for (const o of outcomes) if (!rules.some((r) => r.name === o.name)) rules.push(resultOf({ name: o.name, rule: o.rule, kind: o.kind, severity: o.severity, onFail: o.onFail, summary: '' }, o, ended));

  const base: NodeRun = { status: stage.status, rules };
  if (outcomes.length) base.checks = checksLine(rules);
  if (stage.status === 'skipped' || !outcomes.length) return { ...base, ...(stage.error ? { error: stage.error } : {}) };

  const failed = outcomes.filter((o) => o.status === 'failed' && o.severity === 'error');
  const waiting = report.status === 'waiting' && failed.some((o) => o.onFail === 'ask');
  const gate = gateLine(report, failed);
  let status: string;
  if (waiting) status = 'waiting';
  else if (failed.some((o) => o.onFail === 'fail') || report.quality?.verdict === 'fail' && failed.length) status = 'failed';
  else if (failed.some((o) => o.onFail === 'ask') && report.decision) status = DECIDED[report.decision.decision];
  else if (failed.some((o) => o.onFail === 'quarantine')) status = 'quarantined';
  else if (failed.length) status = stage.status === 'failed' ? 'failed' : stage.status; // ask without a decision yet, a run that stopped
  else if (rules.some((r) => r.status === 'warned')) status = 'warned';
  else status = 'passed';
  return { ...base, status, ...(gate ? { gate } : {}), ...(stage.error && status === 'failed' ? { error: stage.error } : {}) };
}

/** The kept rows and `<dataset>_rejects` after the stage: an approved run delivers every row (only rejects are staged). */
export function splitDatasetState(node: VizNode, report: RunReport, stage: StageReport): NodeRun | undefined {
  if (report.status === 'waiting') return { status: 'waiting' };
  if (stage.datasets.some((d) => d.dataset === node.dataset)) return undefined; // counted: the usual dataset state
  if (report.decision?.decision === 'approve' && !node.dataset?.endsWith('_rejects')) return { status: 'approved', detail: 'approved: every row is delivered' };
  return undefined;
}

function resultOf(rule: VizRule, o: RuleOutcome | undefined, ended: boolean): RuleResult {
  if (!o) return { ...rule, status: ended ? 'not run' : 'pending' };
  const status = o.status === 'failed' && o.severity === 'warn' ? 'warned' : o.status;
  return {
    ...rule, status,
    ...(o.checked !== undefined ? { checked: o.checked } : {}), ...(o.failed !== undefined ? { failed: o.failed } : {}),
    ...(o.threshold ? { threshold: o.threshold } : {}), message: o.message,
    ...(o.value !== undefined ? { value: o.value } : {}), ...(o.expected ? { expected: o.expected } : {}),
    ...(o.samples?.length ? { samples: o.samples } : {}),
  };
}

/** "1 failed · 1 warned · 2 ok": what the node's third line says (the details list each rule). */
export function checksLine(rules: RuleResult[]): string {
  const n = (s: RuleResult['status']) => rules.filter((r) => r.status === s).length;
  const parts: [number, string][] = [[n('failed'), 'failed'], [n('warned'), 'warned'], [n('not evaluated'), 'not evaluated'], [n('passed'), 'ok']];
  return parts.filter(([k]) => k > 0).map(([k, label]) => `${k} ${label}`).join(' · ');
}

/** The gate as this node's failures met it: waiting, or the decision and who made it. */
function gateLine(report: RunReport, failed: RuleOutcome[]): string | undefined {
  if (!failed.some((o) => o.onFail === 'ask')) return undefined;
  if (report.status === 'waiting') return 'waiting for a decision';
  const d = report.decision;
  if (!d) return undefined;
  return d.timedOut ? `${DECIDED[d.decision]}: timed out` : `${DECIDED[d.decision]} by ${d.by}`;
}
