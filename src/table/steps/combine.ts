/**
 * Steps that combine datasets: join and union.
 *
 *   - { type: join, left: sales, right: products, on: [product_id], how: left, output: sales_full }
 *   - { type: join, left: sales, right: customers, on: { cust: customer_id } }   # different key names
 *   - { type: union, inputs: [sales_2023, sales_2024], output: sales }
 *
 * `unique_right: true` makes a lookup join fail instead of silently repeating left rows when the
 * right side has a key twice. A join keeps every column of the left side and the right side's other columns; a right column
 * whose name is already taken is prefixed with the right dataset's name (`products_name`).
 */
import { z } from 'zod';
import { ident } from '../engine.js';
import { DataError } from '../../errors.js';
import { requireColumns, materialize, datasetName, type Step } from './step.js';

const joinSchema = z.strictObject({
  type: z.literal('join'),
  left: z.string(),
  right: z.string(),
  on: z.union([z.array(z.string()).min(1), z.record(z.string(), z.string())]).describe('key columns, or left: right pairs'),
  how: z.enum(['inner', 'left', 'right', 'full']).default('inner'),
  unique_right: z.boolean().default(false).describe('fail if a key occurs twice on the right (a lookup join that would multiply rows)'),
  output: datasetName.optional(),
  description: z.string().optional(),
});
type JoinSpec = z.infer<typeof joinSchema>;

export const join = {
  schema: joinSchema,
  reads: (s) => [s.left, s.right],
  writes: (s) => s.output ?? s.left,
  async apply(s, ctx) {
    const pairs = Array.isArray(s.on) ? s.on.map((k) => [k, k] as const) : Object.entries(s.on);
    const leftCols = await requireColumns(ctx.table, s.left, pairs.map(([l]) => l), 'on');
    const rightCols = await requireColumns(ctx.table, s.right, pairs.map(([, r]) => r), 'on');
    const rightKeys = new Set(pairs.map(([, r]) => r));
    if (s.unique_right) {
      const keys = pairs.map(([, r]) => ident(r)).join(', ');
      const [dup] = await ctx.table.rows(`SELECT ${keys}, count(*) AS n FROM ${ident(s.right)} GROUP BY ${keys} HAVING count(*) > 1 LIMIT 1`);
      if (dup) {
        const shown = pairs.map(([, r]) => `${r} = ${JSON.stringify(dup[r])}`).join(', ');
        throw new DataError(`${shown} occurs ${dup.n} times in ${s.right}, so the join would repeat rows of ${s.left}`, { dataset: s.right, stage: ctx.stage, field: 'unique_right' });
      }
    }
    const taken = new Set(leftCols);
    const select = leftCols.map((c) => {
      // In a right or full join the key may exist only on the right side.
      const pair = pairs.find(([l]) => l === c);
      return pair && s.how !== 'inner' && s.how !== 'left' ? `COALESCE(l.${ident(c)}, r.${ident(pair[1])}) AS ${ident(c)}` : `l.${ident(c)}`;
    });
    for (const c of rightCols) {
      if (rightKeys.has(c)) continue;
      const name = taken.has(c) ? `${s.right}_${c}` : c;
      taken.add(name);
      select.push(`r.${ident(c)} AS ${ident(name)}`);
    }
    const on = pairs.map(([l, r]) => `l.${ident(l)} = r.${ident(r)}`).join(' AND ');
    await materialize(ctx, s.output ?? s.left, `SELECT ${select.join(', ')} FROM ${ident(s.left)} l ${s.how.toUpperCase()} JOIN ${ident(s.right)} r ON ${on}`);
  },
} satisfies Step<JoinSpec>;

const unionSchema = z.strictObject({
  type: z.literal('union'),
  inputs: z.array(z.string()).min(2),
  output: datasetName,
  distinct: z.boolean().default(false),
  description: z.string().optional(),
});

export const union = {
  schema: unionSchema,
  reads: (s) => s.inputs,
  writes: (s) => s.output,
  async apply(s, ctx) {
    // BY NAME: columns are matched by name; a column missing from one input is NULL there.
    const op = s.distinct ? 'UNION BY NAME' : 'UNION ALL BY NAME';
    await materialize(ctx, s.output, s.inputs.map((i) => `SELECT * FROM ${ident(i)}`).join(` ${op} `));
  },
} satisfies Step<z.infer<typeof unionSchema>>;
