/**
 * What `ferry validate` checks in the `quality:` section beyond zod: every rule's dataset (and a
 * referential rule's other dataset) exists after preprocess; thresholds and `on_fail: quarantine`
 * only on row rules, and not both `mostly` and `max_failures`; rule names are unique; and each `<dataset>_rejects` the
 * stage will write is a new name. The rejects datasets are added to `known`, so sinks may read them.
 * Columns, regular expressions and types are checked when the run has the data (the activity).
 */
import type { RuleSpec } from '../quality/rules/index.js';
import { RULES, ruleName } from '../quality/rules/index.js';
import type { OnFail } from '../quality/rule.js';
import { splitDatasets } from '../quality/policy.js';
import { rejectsOf } from '../table/formats.js';
import type { GraphIssue } from './graph.js';

/** The quality section as far as it parsed: `undefined` marks a rule zod rejected. */
export type QualityGraph = { on_fail?: OnFail; rules: (RuleSpec | undefined)[] };

export function checkQuality(quality: QualityGraph | undefined, known: Set<string>, complete: boolean): GraphIssue[] {
  if (!quality) return [];
  const issues: GraphIssue[] = [];
  const list = () => [...known].join(', ');
  const named = new Map<string, number>();
  quality.rules.forEach((rule, i) => {
    if (!rule) return;
    const at = (...path: (string | number)[]) => ['quality', 'rules', i, ...path];
    const r = RULES[rule.rule];
    // The report, the gate and `_rule` tell rules apart by name: two sql rules of a dataset share the default one.
    const name = ruleName(rule);
    const first = named.get(name);
    if (first !== undefined) issues.push({ path: rule.name !== undefined ? at('name') : at(), message: `rules[${first}] is called ${name} too: give one of them ${rule.name !== undefined ? 'another' : 'a'} name (name: …), so the report and _rule can tell them apart` });
    else named.set(name, i);
    if (complete && !known.has(rule.dataset)) issues.push({ path: at('dataset'), message: `unknown dataset '${rule.dataset}'; known after preprocess: ${list()}` });
    for (const other of r.reads?.(rule as never) ?? []) {
      if (complete && !known.has(other)) issues.push({ path: at('references', 'dataset'), message: `unknown dataset '${other}'; known after preprocess: ${list()}` });
    }
    if (rule.mostly !== undefined && rule.max_failures !== undefined) issues.push({ path: at('max_failures'), message: 'give mostly or max_failures, not both' });
    if (r.kind === 'table') {
      for (const field of ['mostly', 'max_failures'] as const) {
        if (rule[field] !== undefined) issues.push({ path: at(field), message: `${field} is for row rules; ${rule.rule} checks the dataset as a whole` });
      }
      if (rule.on_fail === 'quarantine') issues.push({ path: at('on_fail'), message: `${rule.rule} checks the dataset as a whole, so it has no rows to quarantine: use fail or ask` });
    }
  });
  const stage = { on_fail: quality.on_fail ?? 'fail', rules: quality.rules.filter((r): r is RuleSpec => !!r) };
  for (const dataset of splitDatasets(stage)) {
    const rejects = rejectsOf(dataset);
    const first = quality.rules.findIndex((r) => r?.dataset === dataset);
    if (known.has(rejects)) issues.push({ path: ['quality', 'rules', first, 'dataset'], message: `quarantining ${dataset} writes ${rejects}, but a dataset of that name already exists (a source's on_error rejects or a step's output): rename it, or use on_fail: fail` });
    known.add(rejects);
  }
  return issues;
}
