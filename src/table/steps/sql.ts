/**
 * `sql`: any DuckDB SELECT over the datasets by name, for what the declarative steps do not cover.
 *
 *   - type: sql
 *     output: revenue_by_country
 *     inputs: [sales]                # declared for validation and the pipeline graph
 *     query: SELECT country, sum(amount_usd) AS revenue FROM sales GROUP BY country
 */
import { z } from 'zod';
import { datasetName, materialize, sqlText, type Step } from './step.js';

const schema = z.strictObject({
  type: z.literal('sql'),
  output: datasetName,
  inputs: z.array(z.string()).default([]),
  query: sqlText('query'),
  description: z.string().optional(),
});

export const sql = {
  schema,
  reads: (s) => s.inputs,
  writes: (s) => s.output,
  async apply(s, ctx) {
    await materialize(ctx, s.output, s.query);
  },
} satisfies Step<z.infer<typeof schema>>;
