/**
 * The step registry: a step is found by its `type`. `applySteps` runs a stage's steps in order.
 *
 *   await applySteps(table, 'standardize', spec.standardize);
 */
import { z } from 'zod';
import { select, rename, cast, derive, filter, mapValues } from './reshape.js';
import { join, union } from './combine.js';
import { dates } from './dates.js';
import { fill, dedupe, outliers } from './clean.js';
import { sql } from './sql.js';
import { pii } from './pii.js';
import { FerryError, withContext } from '../../errors.js';
import type { Step } from './step.js';
import type { TableEngine } from '../engine.js';

export const STEPS = { select, rename, cast, derive, filter, map_values: mapValues, join, union, dates, fill, dedupe, outliers, sql, pii } as const;

export const stepSchema = z.discriminatedUnion('type', [
  select.schema, rename.schema, cast.schema, derive.schema, filter.schema, mapValues.schema,
  join.schema, union.schema, dates.schema, fill.schema, dedupe.schema, outliers.schema, sql.schema, pii.schema,
]);
export type StepSpec = z.infer<typeof stepSchema>;

type AnyStep = Step<StepSpec>;
export const stepOf = (spec: StepSpec): AnyStep => STEPS[spec.type] as unknown as AnyStep;

/** Every dataset a step writes: its output, and the rejects dataset of an outliers step. */
export const outputsOf = (spec: StepSpec): string[] => [stepOf(spec).writes(spec), ...(spec.type === 'outliers' && spec.rejects ? [spec.rejects] : [])];

/** Runs steps in order; an error leaves with the stage and step number it came from. */
export async function applySteps(table: TableEngine, stage: string, steps: StepSpec[], onStep?: (index: number, outputs: string[]) => void): Promise<void> {
  for (const [index, spec] of steps.entries()) {
    const step = stepOf(spec);
    try {
      await step.apply(spec, { table, stage, index });
    } catch (err) {
      throw withContext(err, { stage, field: err instanceof FerryError && err.context.field ? err.context.field : `${stage}[${index}] (${spec.type})` });
    }
    onStep?.(index, outputsOf(spec));
  }
}
