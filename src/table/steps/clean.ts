/**
 * Cleaning steps: fill missing values, drop duplicates, handle abnormal values.
 *
 *   - { type: fill, input: sales, columns: { quantity: 1, category: unknown, amount: { strategy: median } } }
 *   - { type: dedupe, input: sales, keys: [sale_id], order_by: updated_at DESC }   # keeps the first per key (ties: see dedupe)
 *   - { type: outliers, input: sales, column: amount, method: iqr, factor: 3, action: drop, rejects: sales_outliers }
 */
import { z } from 'zod';
import { ConfigError } from '../../errors.js';
import { ident, lit } from '../engine.js';
import { datasetName, oneInput, readsInput, writesOutput, requireColumns, materialize, from, sqlText, type Step } from './step.js';

const scalar = z.union([z.string(), z.number(), z.boolean()]);
const fillSchema = z.strictObject({
  type: z.literal('fill'), ...oneInput,
  columns: z.record(z.string(), z.union([scalar, z.strictObject({ strategy: z.enum(['mean', 'median', 'mode', 'min', 'max']) })])),
});

export const fill = {
  schema: fillSchema,
  reads: readsInput,
  writes: writesOutput,
  async apply(s, ctx) {
    const have = await requireColumns(ctx.table, s.input, Object.keys(s.columns), 'columns');
    const types = Object.fromEntries((await ctx.table.columns(s.input)).map((c) => [c.name, c.type]));
    const cols = have.map((c) => {
      const rule = s.columns[c];
      if (rule === undefined) return ident(c);
      // Statistics are computed over the whole column in a scalar subquery, and cast back to its type.
      const value = typeof rule === 'object'
        ? `(SELECT ${rule.strategy === 'mode' ? 'mode' : rule.strategy === 'median' ? 'median' : rule.strategy === 'mean' ? 'avg' : rule.strategy}(${ident(c)}) ${from(s.input)})`
        : lit(rule);
      return `COALESCE(${ident(c)}, CAST(${value} AS ${types[c]})) AS ${ident(c)}`;
    });
    await materialize(ctx, writesOutput(s), `SELECT ${cols.join(', ')} ${from(s.input)}`);
  },
} satisfies Step<z.infer<typeof fillSchema>>;

const dedupeSchema = z.strictObject({
  type: z.literal('dedupe'), ...oneInput,
  keys: z.array(z.string()).optional().describe('omit to drop rows that are identical in every column'),
  order_by: sqlText('order_by').optional().describe(
    'SQL ORDER BY within a key: the first row is kept. Ties, and every key when omitted, go to the row that sorts first by all its ' +
    'columns (ascending, NULLs last), so the same input rows give the same output on every run, whatever their order; the output is sorted by the keys',
  ),
});

/**
 * Deterministic by design: which row survives depends only on the set of input rows, never on their
 * order (which a join or a parallel scan does not fix). Output rows are sorted by the keys.
 */
export const dedupe = {
  schema: dedupeSchema,
  reads: readsInput,
  writes: writesOutput,
  async apply(s, ctx) {
    const all = (await ctx.table.columns(s.input)).map((c) => `${ident(c.name)} ASC NULLS LAST`);
    if (!s.keys) {
      await materialize(ctx, writesOutput(s), `SELECT DISTINCT * ${from(s.input)} ORDER BY ${all.join(', ')}`);
      return;
    }
    await requireColumns(ctx.table, s.input, s.keys, 'keys');
    const keys = s.keys.map(ident).join(', ');
    const order = [...(s.order_by ? [s.order_by] : []), ...all].join(', ');
    await materialize(
      ctx,
      writesOutput(s),
      `SELECT * ${from(s.input)} QUALIFY row_number() OVER (PARTITION BY ${keys} ORDER BY ${order}) = 1 ORDER BY ${s.keys.map((k) => `${ident(k)} ASC NULLS LAST`).join(', ')}`,
    );
  },
} satisfies Step<z.infer<typeof dedupeSchema>>;

const outliersSchema = z.strictObject({
  type: z.literal('outliers'), ...oneInput,
  column: z.string(),
  method: z.enum(['iqr', 'zscore', 'range']).default('iqr'),
  factor: z.number().positive().optional().describe('iqr: multiples of the IQR beyond the quartiles (1.5); zscore: standard deviations (3)'),
  min: z.number().optional(),
  max: z.number().optional(),
  action: z.enum(['drop', 'clip', 'flag']).default('drop'),
  rejects: datasetName.optional().describe('dataset that receives the dropped rows'),
});

export const outliers = {
  schema: outliersSchema,
  reads: readsInput,
  writes: (s) => writesOutput(s),
  async apply(s, ctx) {
    const have = await requireColumns(ctx.table, s.input, [s.column], 'column');
    const c = ident(s.column);
    let lo: string;
    let hi: string;
    if (s.method === 'range') {
      if (s.min === undefined && s.max === undefined) throw new ConfigError('method range needs min and/or max', { dataset: s.input, field: 'min' });
      lo = s.min === undefined ? 'NULL' : lit(s.min);
      hi = s.max === undefined ? 'NULL' : lit(s.max);
    } else {
      const bounds = s.method === 'iqr'
        ? `SELECT q1 - ${s.factor ?? 1.5} * (q3 - q1) AS lo, q3 + ${s.factor ?? 1.5} * (q3 - q1) AS hi FROM (SELECT quantile_cont(${c}, 0.25) AS q1, quantile_cont(${c}, 0.75) AS q3 ${from(s.input)})`
        : `SELECT avg(${c}) - ${s.factor ?? 3} * stddev_samp(${c}) AS lo, avg(${c}) + ${s.factor ?? 3} * stddev_samp(${c}) AS hi ${from(s.input)}`;
      const [b] = await ctx.table.rows(bounds);
      lo = b?.lo === null || b?.lo === undefined ? 'NULL' : lit(Number(b.lo));
      hi = b?.hi === null || b?.hi === undefined ? 'NULL' : lit(Number(b.hi));
    }
    const isOutlier = `(${c} < COALESCE(${lo}, ${c}) OR ${c} > COALESCE(${hi}, ${c}))`;
    if (s.rejects) await materialize(ctx, s.rejects, `SELECT * ${from(s.input)} WHERE ${isOutlier}`);
    if (s.action === 'drop') {
      await materialize(ctx, writesOutput(s), `SELECT * ${from(s.input)} WHERE ${c} IS NULL OR NOT ${isOutlier}`);
    } else if (s.action === 'clip') {
      const cols = have.map((col) => (col === s.column ? `CASE WHEN ${c} IS NULL THEN NULL ELSE LEAST(GREATEST(${c}, COALESCE(${lo}, ${c})), COALESCE(${hi}, ${c})) END AS ${c}` : ident(col)));
      await materialize(ctx, writesOutput(s), `SELECT ${cols.join(', ')} ${from(s.input)}`);
    } else {
      await materialize(ctx, writesOutput(s), `SELECT *, COALESCE(${isOutlier}, false) AS ${ident(`${s.column}_outlier`)} ${from(s.input)}`);
    }
  },
} satisfies Step<z.infer<typeof outliersSchema>>;
