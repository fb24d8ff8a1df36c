/**
 * What a transform step is: a zod schema (told apart by `type`) and an `apply` that creates or
 * replaces its output dataset in the table engine, usually by compiling to one SQL statement.
 * Steps read and write named datasets; `output` defaults to `input`, so steps chain in place.
 */
import { z } from 'zod';
import { ConfigError, withContext } from '../../errors.js';
import { classifyDuckDbError } from '../duckdb-errors.js';
import { ident, type TableEngine } from '../engine.js';
import { isSingleStatement } from '../access.js';
import type { DuckDBValue } from '@duckdb/node-api';

export type StepContext = { table: TableEngine; stage: string; index: number };

export type Step<S> = {
  schema: z.ZodType<S>;
  /** Datasets the step reads and the one it writes: used to validate the graph and draw it. */
  reads(step: S): string[];
  writes(step: S): string;
  apply(step: S, ctx: StepContext): Promise<void>;
};

/**
 * SQL text in a step (a query, a condition, an expression, a type): one statement only, checked
 * when the pipeline is validated and again by the engine before it runs.
 */
export const sqlText = (what: string) =>
  z.string().min(1).refine(isSingleStatement, { message: `${what} must be one SQL statement: a ';' followed by more SQL is not allowed` });

/**
 * The name of a dataset a step writes (like a source's or sink's name). It becomes a table name and
 * a file name in the staging store, so it can never be a path (`../x`).
 */
export const datasetName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected a name of letters, digits and _ (not starting with a digit)');

/** The fields of a step over one dataset. */
export const oneInput = { input: z.string(), output: datasetName.optional(), description: z.string().optional() };

export const readsInput = (s: { input: string }): string[] => [s.input];
export const writesOutput = (s: { input: string; output?: string }): string => s.output ?? s.input;

/** Fails with the dataset's real columns listed when a step names one that does not exist. */
export async function requireColumns(table: TableEngine, dataset: string, wanted: string[], field: string): Promise<string[]> {
  const have = (await table.columns(dataset)).map((c) => c.name);
  const missing = wanted.filter((c) => !have.includes(c));
  if (missing.length) {
    throw new ConfigError(`unknown column${missing.length > 1 ? 's' : ''} ${missing.map((m) => `'${m}'`).join(', ')} in ${dataset}; it has: ${have.join(', ')}`, { dataset, field });
  }
  return have;
}

/** Runs a SELECT into the output dataset (replacing it, even if it is also the input); `params` bind its $1, $2, …. */
export async function materialize(ctx: StepContext, output: string, selectSql: string, params?: DuckDBValue[]): Promise<void> {
  try {
    await ctx.table.replace(output, selectSql, params);
  } catch (err) {
    const e = classifyDuckDbError(err);
    throw withContext(e, { dataset: output, stage: ctx.stage, ...(e.code === 'CONFIG' ? { field: `steps[${ctx.index}]` } : {}) });
  }
}

export const from = (dataset: string): string => `FROM ${ident(dataset)}`;
