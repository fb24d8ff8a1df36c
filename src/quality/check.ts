/**
 * The evaluator: checks every rule of the quality stage against datasets loaded in a table engine.
 * The row rules of one dataset cost ONE scan: a narrow flags table holds each row's id and, per
 * rule, whether the row violates it and why; counts, samples and the quarantine split all read it.
 * Table rules run one by one. Nothing here decides the run (see verdict.ts).
 *
 *   const { outcomes, flags } = await checkRules(table, { pipeline, run, spec, history, progress });
 */
import { FerryError, UnknownError } from '../errors.js';
import { ident, type TableEngine } from '../table/engine.js';
import type { DatasetProfile, RuleOutcome, RunContext } from '../run.js';
import type { QualitySpec } from './schema.js';
import type { HistoricProfile, RowCheck, RuleContext } from './rule.js';
import { ruleName, ruleOf, type RuleSpec } from './rules/index.js';
import { effectiveOnFail, splits } from './policy.js';
import { profileOf } from './profile.js';
import { rowMessage, thresholdText, withinThreshold } from './words.js';

export type CheckOptions = {
  pipeline: string;
  run: RunContext;
  spec: QualitySpec;
  /** Profiles of a dataset in earlier successful runs, newest first (the catalog's). */
  history: (dataset: string, limit: number) => Promise<HistoricProfile[]>;
  /** Profiles already made of the input datasets (else made when a rule asks). */
  profiles?: Record<string, DatasetProfile>;
  /** Called before each rule (heartbeat). */
  progress?: (note: string) => void;
};

/** One row rule's columns in a dataset's flags table. */
export type FlagColumn = { name: string; violates: string; reason: string; failed: boolean; splits: boolean };
/** A dataset's flags table: `__ferry_row` (the dataset's rowid) and per row rule a flag and a reason column. */
export type Flags = { table: string; rules: FlagColumn[] };

export type Checked = { outcomes: RuleOutcome[]; flags: Record<string, Flags>; profiles: Record<string, DatasetProfile> };

export async function checkRules(table: TableEngine, options: CheckOptions): Promise<Checked> {
  const { spec } = options;
  const outcomes: RuleOutcome[] = new Array(spec.rules.length);
  const flags: Record<string, Flags> = {};
  const profiles: Record<string, DatasetProfile> = { ...options.profiles };
  const datasets = [...new Set(spec.rules.map((r) => r.dataset))];
  let done = 0;
  const step = (rule: RuleSpec) => options.progress?.(`rule ${++done}/${spec.rules.length} ${ruleName(rule)}`);

  for (const dataset of datasets) {
    const indexed = spec.rules.map((rule, index) => ({ rule, index })).filter((r) => r.rule.dataset === dataset);
    if (!(await table.exists(dataset))) {
      const name = ruleName(indexed[0]!.rule);
      throw new FerryError('CONFIG', `quality rule ${name}: unknown dataset '${dataset}'`, { dataset, field: 'dataset' });
    }
    // A table has a stable rowid: the flags, the samples and the split join on it.
    if (!(await table.isTable(dataset))) await table.replace(dataset, `SELECT * FROM ${ident(dataset)}`);
    const ctx: RuleContext = {
      table, dataset, columns: await table.columns(dataset), pipeline: options.pipeline, run: options.run,
      history: (limit) => options.history(dataset, limit),
      profile: async () => (profiles[dataset] ??= await profileOf(table, dataset)),
    };

    const rows = indexed.filter((r) => ruleOf(r.rule).kind === 'row');
    const checks: { rule: RuleSpec; index: number; check: RowCheck }[] = [];
    for (const { rule, index } of rows) {
      step(rule);
      const check = await named(rule, async () => {
        const r = ruleOf(rule);
        if (r.kind !== 'row') throw new Error('not a row rule');
        const c = await r.check(rule, ctx);
        // Bind the SQL now (no rows read): a mistake is this rule's, not the whole scan's.
        await table.rows(`SELECT coalesce((${c.violates}), false) AS v, (${c.reason}) AS r FROM ${ident(dataset)} LIMIT 0`);
        return c;
      });
      checks.push({ rule, index, check });
    }
    if (checks.length) flags[dataset] = await scanRowRules(table, dataset, checks, options, outcomes);

    for (const { rule, index } of indexed.filter((r) => ruleOf(r.rule).kind === 'table')) {
      step(rule);
      outcomes[index] = await named(rule, async () => {
        const r = ruleOf(rule);
        if (r.kind !== 'table') throw new Error('not a table rule');
        const c = await r.check(rule, ctx);
        const outcome: RuleOutcome = {
          ...head(rule, options.spec), kind: 'table',
          status: c.notEvaluated ? 'not evaluated' : c.passed ? 'passed' : 'failed',
          message: c.notEvaluated ? `not evaluated: ${c.notEvaluated}` : c.message,
        };
        if (c.value !== undefined) outcome.value = c.value;
        if (c.expected !== undefined) outcome.expected = c.expected;
        if (c.columns) outcome.columns = c.columns;
        return outcome;
      });
    }
  }
  return { outcomes, flags, profiles };
}

const head = (rule: RuleSpec, spec: QualitySpec) => ({
  name: ruleName(rule), rule: rule.rule, dataset: rule.dataset, severity: rule.severity, onFail: effectiveOnFail(rule, spec),
});

/** The one scan: flags and reasons per row rule, then counts, outcomes and samples from the flags table. */
async function scanRowRules(table: TableEngine, dataset: string, checks: { rule: RuleSpec; index: number; check: RowCheck }[], options: CheckOptions, outcomes: RuleOutcome[]): Promise<Flags> {
  const flagsTable = `__ferry_flags_${dataset}`;
  const columns = checks.map((c, i) => ({ v: `__ferry_v${i}`, r: `__ferry_r${i}`, ...c }));
  const select = columns.map((c) => {
    const v = `coalesce((${c.check.violates}), false)`;
    return `${v} AS ${c.v}, CASE WHEN ${v} THEN CAST((${c.check.reason}) AS VARCHAR) END AS ${c.r}`;
  });
  await table.run(`CREATE OR REPLACE TEMP TABLE ${ident(flagsTable)} AS SELECT rowid AS __ferry_row, ${select.join(', ')} FROM ${ident(dataset)}`);
  const [counts] = await table.rows(`SELECT count(*) AS n, ${columns.map((c, i) => `count_if(${c.v}) AS f${i}`).join(', ')} FROM ${ident(flagsTable)}`);
  const checked = Number(counts!.n);
  const dataColumns = await table.columns(dataset);
  const rules: FlagColumn[] = [];
  for (const [i, c] of columns.entries()) {
    const failed = Number(counts![`f${i}`]);
    const threshold = { mostly: c.rule.mostly, max_failures: c.rule.max_failures };
    const passed = withinThreshold(failed, checked, threshold);
    const outcome: RuleOutcome = {
      ...head(c.rule, options.spec), kind: 'row', status: passed ? 'passed' : 'failed', checked, failed,
      threshold: thresholdText(threshold), message: rowMessage(failed, checked, c.check.what ?? 'violate the rule', threshold),
    };
    if (failed > 0 && options.spec.samples > 0) {
      const texts = dataColumns.map((d) => `CAST(d.${ident(d.name)} AS VARCHAR) AS ${ident(d.name)}`);
      const samples = await table.rows(`SELECT ${texts.join(', ')}, f.${c.r} AS _reason FROM ${ident(dataset)} d JOIN ${ident(flagsTable)} f ON d.rowid = f.__ferry_row WHERE f.${c.v} ORDER BY f.__ferry_row LIMIT ${options.spec.samples}`);
      outcome.samples = samples.map((s) => Object.fromEntries(Object.entries(s).map(([k, v]) => [k, v === null || v === undefined ? null : String(v)])));
    }
    outcomes[c.index] = outcome;
    rules.push({ name: outcome.name, violates: c.v, reason: c.r, failed: !passed, splits: splits(c.rule, options.spec) });
  }
  return { table: flagsTable, rules };
}

/** Runs one rule's work; any error it throws names the rule (the field stays in the context). */
async function named<T>(rule: RuleSpec, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const prefix = `quality rule ${ruleName(rule)}: `;
    if (err instanceof FerryError) throw new FerryError(err.code, prefix + err.message, { dataset: rule.dataset, ...err.context }, { cause: err });
    throw new UnknownError(prefix + (err instanceof Error ? err.message : String(err)), { dataset: rule.dataset }, { cause: err });
  }
}
