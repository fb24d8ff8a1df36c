/**
 * anomaly (a table rule): this run's metric of a dataset against the same metric in the last
 * `window` successful runs, by median absolute deviation (one bad day in the history does not move
 * the median). Too little history: "not evaluated: 3 of 5 runs", never a guess.
 */
import { z } from 'zod';
import { ruleBase, type TableRule } from '../rule.js';

export const METRICS = ['row_count', 'null_ratio', 'distinct', 'mean', 'min', 'max'] as const;

const anomalySchema = z.strictObject({
  rule: z.literal('anomaly'), ...ruleBase,
  metric: z.enum(METRICS).describe('row_count of the dataset, or a column metric: null_ratio, distinct, mean, min, max'),
  column: z.string().optional().describe('the column, for a column metric'),
  window: z.number().int().min(2).default(14).describe('how many earlier successful runs to compare with'),
  threshold: z.number().positive().default(3).describe('how many (scaled) median absolute deviations from the median is an anomaly'),
  min_history: z.number().int().min(2).default(5).describe('fewer earlier runs than this: not evaluated'),
});
export type AnomalySpec = z.infer<typeof anomalySchema>;

export const anomaly: TableRule<AnomalySpec> = {
  kind: 'table',
  schema: anomalySchema,
  label: (s) => (s.column ? `${s.metric}(${s.column})` : s.metric),
  check: async () => {
    throw new Error('quality rule anomaly is not implemented yet');
  },
};
