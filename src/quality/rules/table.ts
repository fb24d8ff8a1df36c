/**
 * Dataset rules: row_count and freshness (table rules: the dataset passes or fails as a whole),
 * referential and sql (row rules: they name the violating rows, so they can quarantine them).
 */
import { z } from 'zod';
import { ruleBase, durationSchema, type RowRule, type TableRule } from '../rule.js';
import { sqlText } from '../../table/steps/step.js';

const notImplemented = (rule: string) => async (): Promise<never> => {
  throw new Error(`quality rule ${rule} is not implemented yet`);
};

const rowCountSchema = z.strictObject({ rule: z.literal('row_count'), ...ruleBase, min: z.number().int().min(0).optional(), max: z.number().int().min(0).optional() })
  .refine((s) => s.min !== undefined || s.max !== undefined, { message: 'row_count needs min, max or both' });
export const rowCount: TableRule<z.infer<typeof rowCountSchema>> = { kind: 'table', schema: rowCountSchema, label: () => 'rows', check: notImplemented('row_count') };

const freshnessSchema = z.strictObject({
  rule: z.literal('freshness'), ...ruleBase,
  column: z.string().describe('a date or timestamp column'),
  max_age: durationSchema.describe('the newest value may be at most this old, relative to the logical run time (e.g. 1d, 6h)'),
});
export const freshness: TableRule<z.infer<typeof freshnessSchema>> = { kind: 'table', schema: freshnessSchema, label: (s) => s.column, check: notImplemented('freshness') };

const referentialSchema = z.strictObject({
  rule: z.literal('referential'), ...ruleBase,
  columns: z.array(z.string()).min(1).describe('the key columns of this dataset'),
  references: z.strictObject({ dataset: z.string(), columns: z.array(z.string()).min(1) }).describe('the dataset and columns every non-NULL key must exist in'),
});
export const referential: RowRule<z.infer<typeof referentialSchema>> = {
  kind: 'row', schema: referentialSchema, reads: (s) => [s.references.dataset], label: (s) => s.columns.join(','), check: notImplemented('referential'),
};

const sqlSchema = z.strictObject({ rule: z.literal('sql'), ...ruleBase, query: sqlText('a sql rule\'s query').describe('a query over the pipeline\'s datasets that returns the violating rows of `dataset`') });
export const sqlRule: RowRule<z.infer<typeof sqlSchema>> = { kind: 'row', schema: sqlSchema, label: () => 'sql', check: notImplemented('sql') };
