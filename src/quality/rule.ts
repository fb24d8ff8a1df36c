/**
 * What a quality rule is: a zod schema (told apart by `rule`) and how it is checked. Two kinds:
 *
 * - a **row rule** (not_null, unique, range, …) says which rows violate it, as SQL over the
 *   dataset: the quality activity counts them, samples them, and can quarantine exactly those rows;
 * - a **table rule** (row_count, freshness, anomaly, pii_detect, …) looks at the dataset as a whole
 *   and passes or fails once; it cannot quarantine rows.
 *
 * Rules are found by `rule` in the registry (./rules/index.ts), like adapters by `type`.
 *
 *   - { rule: not_null, dataset: sales, columns: [id, amount], mostly: 0.995 }
 *   - { rule: row_count, dataset: sales, min: 1 }
 */
import { z } from 'zod';
import type { TableEngine, Column } from '../table/engine.js';
import type { RunContext, DatasetProfile } from '../run.js';
import { durationSchema } from '../pipeline/duration.js';

export const SEVERITIES = ['error', 'warn'] as const;
/** fail: the run fails before any sink is written; quarantine: the violating rows go to `<dataset>_rejects`; ask: a person decides. */
export const ON_FAIL = ['fail', 'quarantine', 'ask'] as const;
export type OnFail = (typeof ON_FAIL)[number];

/** The fields every rule has. */
export const ruleBase = {
  dataset: z.string().describe('the dataset checked (a source, or a dataset a step wrote)'),
  name: z.string().regex(/^[A-Za-z0-9_.:-]+$/, 'expected letters, digits and _ . : -').optional().describe('how reports name the rule (default: rule, dataset and columns, e.g. not_null:sales.id)'),
  description: z.string().optional(),
  severity: z.enum(SEVERITIES).default('error').describe('error: a failure stops (or quarantines, or asks) before deliver; warn: it is reported, nothing stops'),
  mostly: z.number().min(0).max(1).optional().describe('passes when at least this fraction of rows pass (e.g. 0.995); row rules only'),
  max_failures: z.number().int().min(0).optional().describe('passes when at most this many rows fail; row rules only'),
  on_fail: z.enum(ON_FAIL).optional().describe('what an error does (default: quality.on_fail); quarantine only for row rules'),
};
export { durationSchema };

export type RuleBase = { dataset: string; name?: string; description?: string; severity: 'error' | 'warn'; mostly?: number; max_failures?: number; on_fail?: OnFail };

/** What a rule sees when it is checked: the dataset (and every other dataset of the run) loaded as views. */
export type RuleContext = {
  table: TableEngine;
  dataset: string;
  columns: Column[];
  pipeline: string;
  run: RunContext;
  /** Profiles of this dataset in earlier successful runs of the pipeline, newest first (anomaly). */
  history: (limit: number) => Promise<HistoricProfile[]>;
  /** This run's profile of the dataset. */
  profile: () => Promise<DatasetProfile>;
};

export type HistoricProfile = { version: string; runTime: string; profile: DatasetProfile };

/**
 * The rows that violate a row rule, as SQL over the dataset named in the context (its columns
 * unqualified; other datasets by name). `violates` is a boolean expression, TRUE for a violating
 * row (it may use window functions, e.g. a count over a partition); `reason` a text expression
 * saying why, per row ("amount -3 is below 0").
 */
export type RowCheck = {
  violates: string;
  reason: string;
  /** What the violating rows do, for the outcome's message: "have NULL in id" → "3 of 1,000 rows have NULL in id". */
  what?: string;
};

/** A table rule's verdict. `notEvaluated`: it could not judge (e.g. "3 of 5 runs of history"); never a failure. */
export type TableCheck = {
  passed: boolean;
  message: string;
  value?: number;
  expected?: string;
  notEvaluated?: string;
  /** Columns the rule is about (pii_detect: the columns that look personal). */
  columns?: string[];
};

export type RowRule<S> = {
  kind: 'row';
  schema: z.ZodType<S>;
  /** Other datasets it reads (referential), for the graph check. */
  reads?(spec: S): string[];
  /** The default name's suffix (columns), e.g. `id` in not_null:sales.id. */
  label(spec: S): string;
  check(spec: S, ctx: RuleContext): Promise<RowCheck>;
};

export type TableRule<S> = {
  kind: 'table';
  schema: z.ZodType<S>;
  reads?(spec: S): string[];
  label(spec: S): string;
  check(spec: S, ctx: RuleContext): Promise<TableCheck>;
};

export type Rule<S> = RowRule<S> | TableRule<S>;
