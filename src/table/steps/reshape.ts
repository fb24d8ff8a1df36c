/**
 * Steps that reshape one dataset: select, rename, cast, derive, filter, map_values.
 *
 *   - { type: rename, input: sales, columns: { cust_id: customer_id } }
 *   - { type: cast, input: sales, columns: { amount: DOUBLE }, on_error: null }
 *   - { type: derive, input: sales, columns: { amount_usd: "round(amount * rate_to_usd, 2)" } }
 *   - { type: filter, input: sales, where: "status <> 'cancelled'" }
 *   - { type: map_values, input: sales, column: currency, mapping: { "€": EUR, "$": USD } }
 */
import { z } from 'zod';
import { ident, lit } from '../engine.js';
import { oneInput, readsInput, writesOutput, requireColumns, materialize, from, sqlText, type Step } from './step.js';

const selectSchema = z.strictObject({ type: z.literal('select'), ...oneInput, columns: z.array(z.string()).min(1) });
export const select = {
  schema: selectSchema,
  reads: readsInput,
  writes: writesOutput,
  async apply(s, ctx) {
    await requireColumns(ctx.table, s.input, s.columns, 'columns');
    await materialize(ctx, writesOutput(s), `SELECT ${s.columns.map(ident).join(', ')} ${from(s.input)}`);
  },
} satisfies Step<z.infer<typeof selectSchema>>;

const renameSchema = z.strictObject({ type: z.literal('rename'), ...oneInput, columns: z.record(z.string(), z.string()) });
export const rename = {
  schema: renameSchema,
  reads: readsInput,
  writes: writesOutput,
  async apply(s, ctx) {
    const have = await requireColumns(ctx.table, s.input, Object.keys(s.columns), 'columns');
    const cols = have.map((c) => (s.columns[c] ? `${ident(c)} AS ${ident(s.columns[c])}` : ident(c)));
    await materialize(ctx, writesOutput(s), `SELECT ${cols.join(', ')} ${from(s.input)}`);
  },
} satisfies Step<z.infer<typeof renameSchema>>;

const castSchema = z.strictObject({
  type: z.literal('cast'), ...oneInput,
  columns: z.record(z.string(), sqlText('a cast type')),
  on_error: z.enum(['fail', 'null']).default('fail').describe('null: values that do not convert become NULL'),
});
export const cast = {
  schema: castSchema,
  reads: readsInput,
  writes: writesOutput,
  async apply(s, ctx) {
    const have = await requireColumns(ctx.table, s.input, Object.keys(s.columns), 'columns');
    const fn = s.on_error === 'null' ? 'TRY_CAST' : 'CAST';
    const cols = have.map((c) => (s.columns[c] ? `${fn}(${ident(c)} AS ${s.columns[c]}) AS ${ident(c)}` : ident(c)));
    await materialize(ctx, writesOutput(s), `SELECT ${cols.join(', ')} ${from(s.input)}`);
  },
} satisfies Step<z.infer<typeof castSchema>>;

const deriveSchema = z.strictObject({ type: z.literal('derive'), ...oneInput, columns: z.record(z.string(), sqlText('an expression')).describe('name: SQL expression') });
export const derive = {
  schema: deriveSchema,
  reads: readsInput,
  writes: writesOutput,
  async apply(s, ctx) {
    const have = (await ctx.table.columns(s.input)).map((c) => c.name);
    // A derived column that already exists is replaced in place; new ones are appended.
    const cols = have.map((c) => (s.columns[c] !== undefined ? `(${s.columns[c]}) AS ${ident(c)}` : ident(c)));
    for (const [name, expr] of Object.entries(s.columns)) if (!have.includes(name)) cols.push(`(${expr}) AS ${ident(name)}`);
    await materialize(ctx, writesOutput(s), `SELECT ${cols.join(', ')} ${from(s.input)}`);
  },
} satisfies Step<z.infer<typeof deriveSchema>>;

const filterSchema = z.strictObject({ type: z.literal('filter'), ...oneInput, where: sqlText('where').describe('SQL condition: rows where it is true are kept') });
export const filter = {
  schema: filterSchema,
  reads: readsInput,
  writes: writesOutput,
  async apply(s, ctx) {
    await materialize(ctx, writesOutput(s), `SELECT * ${from(s.input)} WHERE ${s.where}`);
  },
} satisfies Step<z.infer<typeof filterSchema>>;

const mapValuesSchema = z.strictObject({
  type: z.literal('map_values'), ...oneInput,
  column: z.string(),
  mapping: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
  default: z.union([z.string(), z.number(), z.boolean(), z.null()]).optional().describe('for values not in mapping; omit to keep them'),
});
export const mapValues = {
  schema: mapValuesSchema,
  reads: readsInput,
  writes: writesOutput,
  async apply(s, ctx) {
    const have = await requireColumns(ctx.table, s.input, [s.column], 'column');
    const c = ident(s.column);
    const cases = Object.entries(s.mapping).map(([k, v]) => `WHEN ${c}::VARCHAR = ${lit(k)} THEN ${lit(v)}`).join(' ');
    // Mapping codes to text labels makes the column text: unmapped values are kept as text too.
    const toText = Object.values(s.mapping).some((v) => typeof v === 'string');
    const otherwise = s.default !== undefined ? lit(s.default) : toText ? `${c}::VARCHAR` : c;
    const cols = have.map((col) => (col === s.column ? `CASE ${cases} ELSE ${otherwise} END AS ${c}` : ident(col)));
    await materialize(ctx, writesOutput(s), `SELECT ${cols.join(', ')} ${from(s.input)}`);
  },
} satisfies Step<z.infer<typeof mapValuesSchema>>;
