/**
 * Dataset rules: row_count and freshness (table rules: the dataset passes or fails as a whole),
 * referential and sql (row rules: they name the violating rows, so they can quarantine them).
 */
import { z } from 'zod';
import { ConfigError, FerryError } from '../../errors.js';
import { classifyDuckDbError } from '../../table/duckdb-errors.js';
import { ident, lit } from '../../table/engine.js';
import { ruleBase, durationSchema, type RowRule, type TableRule, type RuleContext } from '../rule.js';
import { sqlText } from '../../table/steps/step.js';
import { parseDuration } from '../../pipeline/duration.js';
import { col, requireColumns, shown, TEMPORAL_TYPES, NUMERIC_TYPES } from '../sql.js';
import { count } from '../words.js';

const rowCountSchema = z.strictObject({ rule: z.literal('row_count'), ...ruleBase, min: z.number().int().min(0).optional(), max: z.number().int().min(0).optional() })
  .refine((s) => s.min !== undefined || s.max !== undefined, { message: 'row_count needs min, max or both' });
export const rowCount: TableRule<z.infer<typeof rowCountSchema>> = {
  kind: 'table', schema: rowCountSchema, label: () => 'rows',
  async check(s, ctx) {
    const rows = await ctx.table.count(ctx.dataset);
    const expected = s.min !== undefined && s.max !== undefined ? `between ${count(s.min)} and ${count(s.max)}` : s.min !== undefined ? `at least ${count(s.min)}` : `at most ${count(s.max!)}`;
    const passed = (s.min === undefined || rows >= s.min) && (s.max === undefined || rows <= s.max);
    return { passed, value: rows, expected, message: `${count(rows)} row${rows === 1 ? '' : 's'} (expected ${expected})` };
  },
};

/**
 * The newest value of the column is at most `max_age` older than the logical run time. A DATE
 * counts from its midnight (UTC), a TIMESTAMP without zone is read as UTC (the engine's zone).
 */
const freshnessSchema = z.strictObject({
  rule: z.literal('freshness'), ...ruleBase,
  column: z.string().describe('a date or timestamp column'),
  max_age: durationSchema.describe('the newest value may be at most this old, relative to the logical run time (e.g. 1d, 6h)'),
});
export const freshness: TableRule<z.infer<typeof freshnessSchema>> = {
  kind: 'table', schema: freshnessSchema, label: (s) => s.column,
  async check(s, ctx) {
    const [c] = requireColumns(ctx.columns, ctx.dataset, [s.column], 'column');
    if (!TEMPORAL_TYPES.test(c!.type)) throw new ConfigError(`freshness needs a date or timestamp column; ${s.column} is ${c!.type} (convert it in preprocess)`, { dataset: ctx.dataset, field: 'column' });
    const v = `CAST(${col(s.column)} AS TIMESTAMPTZ)`;
    const [row] = await ctx.table.rows(`SELECT count(*) AS n, max(${v}) AS newest, strftime(max(${v}), '%Y-%m-%dT%H:%M:%SZ') AS shown FROM ${ident(ctx.dataset)}`);
    const expected = `newest ${s.column} at most ${s.max_age} before the run time ${ctx.run.time}`;
    if (row!.newest === null || row!.newest === undefined) {
      const n = Number(row!.n);
      return { passed: false, expected, message: n === 0 ? `no rows, so no newest ${s.column}` : `no value: all ${count(n)} rows have NULL in ${s.column}` };
    }
    const newest = row!.newest instanceof Date ? row!.newest : new Date(String(row!.newest));
    const ageMs = Date.parse(ctx.run.time) - newest.getTime();
    const passed = ageMs <= parseDuration(s.max_age);
    return {
      passed, value: Math.round(ageMs / 1000), expected,
      message: `newest ${s.column} is ${String(row!.shown)}, ${age(Math.abs(ageMs))} ${ageMs >= 0 ? 'before' : 'after'} the run time ${ctx.run.time} (allowed ${s.max_age})`,
    };
  },
};

function age(ms: number): string {
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  return h >= 48 ? `${Math.floor(h / 24)}d ${h % 24}h` : `${h}h ${m}m`;
}

/**
 * Every key of `columns` with no NULL in it exists in the other dataset (a key with a NULL is not
 * checked, as in an SQL foreign key). Keys of different kinds (a text id against a numeric one) are
 * compared as text.
 */
const referentialSchema = z.strictObject({
  rule: z.literal('referential'), ...ruleBase,
  columns: z.array(z.string()).min(1).describe('the key columns of this dataset'),
  references: z.strictObject({ dataset: z.string(), columns: z.array(z.string()).min(1) }).describe('the dataset and columns every non-NULL key must exist in'),
});
let scratch = 0;
export const referential: RowRule<z.infer<typeof referentialSchema>> = {
  kind: 'row', schema: referentialSchema, reads: (s) => [s.references.dataset], label: (s) => s.columns.join(','),
  async check(s, ctx) {
    const mine = requireColumns(ctx.columns, ctx.dataset, s.columns, 'columns');
    const other = s.references.dataset;
    if (!(await ctx.table.exists(other))) throw new ConfigError(`unknown dataset '${other}'`, { dataset: ctx.dataset, field: 'references.dataset' });
    if (s.references.columns.length !== s.columns.length) {
      throw new ConfigError(`references.columns has ${s.references.columns.length} column(s), columns has ${s.columns.length}: they pair up one by one`, { dataset: ctx.dataset, field: 'references.columns' });
    }
    const theirs = requireColumns(await ctx.table.columns(other), other, s.references.columns, 'references.columns');
    const sameKind = (a: string, b: string) => a === b || (NUMERIC_TYPES.test(a) && NUMERIC_TYPES.test(b));
    const asText = mine.map((m, i) => !sameKind(m.type, theirs[i]!.type));
    // The other dataset's keys in a table of their own, under names no dataset uses: the EXISTS
    // below then binds the key columns to the checked row without qualifying them.
    const keys = `__ferry_keys_${++scratch}`;
    const key = (i: number) => `__ferry_k${i}`;
    await ctx.table.run(`CREATE OR REPLACE TEMP TABLE ${ident(keys)} AS SELECT DISTINCT ${theirs.map((t, i) => `${asText[i] ? `CAST(${col(t.name)} AS VARCHAR)` : col(t.name)} AS ${key(i)}`).join(', ')} FROM ${ident(other)}`);
    const pairs = mine.map((m, i) => `${key(i)} = ${asText[i] ? `CAST(${col(m.name)} AS VARCHAR)` : col(m.name)}`);
    const value = mine.length === 1 ? shown(col(mine[0]!.name)) : `'(' || concat_ws(', ', ${mine.map((m) => shown(col(m.name))).join(', ')}) || ')'`;
    const name = s.columns.length === 1 ? s.columns[0]! : `(${s.columns.join(', ')})`;
    const target = `${other}.${s.references.columns.length === 1 ? s.references.columns[0] : `(${s.references.columns.join(', ')})`}`;
    return {
      violates: `(${mine.map((m) => `${col(m.name)} IS NOT NULL`).join(' AND ')}) AND NOT EXISTS (SELECT 1 FROM ${ident(keys)} WHERE ${pairs.join(' AND ')})`,
      reason: `${lit(`${name} `)} || ${value} || ${lit(` is not in ${target}`)}`,
      what: `have ${name} not in ${target}`,
    };
  },
};

/**
 * The query returns violating rows of `dataset` (all its columns or some of them, e.g. `SELECT *
 * FROM sales WHERE …`); a row of the dataset violates when it equals a returned row on every
 * returned column (NULL matching NULL). A returned row that matches no row of the dataset is a
 * config error: the query is not about this dataset.
 */
const sqlSchema = z.strictObject({ rule: z.literal('sql'), ...ruleBase, query: sqlText('a sql rule\'s query').describe('a query over the pipeline\'s datasets that returns the violating rows of `dataset`') });
export const sqlRule: RowRule<z.infer<typeof sqlSchema>> = {
  kind: 'row', schema: sqlSchema, label: () => 'sql',
  async check(s, ctx) {
    const found = `__ferry_sql_${++scratch}`;
    const create = `CREATE OR REPLACE TEMP TABLE ${ident(found)} AS ${s.query}`;
    await ctx.table.requireOneStatement(create, { dataset: ctx.dataset, field: 'query' });
    await runQuery(ctx, create);
    const returned = await ctx.table.columns(found);
    const wanted = returned.map((r) => r.name);
    requireColumns(ctx.columns, ctx.dataset, wanted, 'query');
    // The returned columns under names no dataset uses (see referential).
    const rows = `__ferry_rows_${scratch}`;
    const r = (i: number) => `__ferry_c${i}`;
    await ctx.table.run(`CREATE OR REPLACE TEMP TABLE ${ident(rows)} AS SELECT DISTINCT ${wanted.map((w, i) => `${col(w)} AS ${r(i)}`).join(', ')} FROM ${ident(found)}`);
    await ctx.table.run(`DROP TABLE ${ident(found)}`);
    const match = wanted.map((w, i) => `${r(i)} IS NOT DISTINCT FROM ${col(w)}`).join(' AND ');
    const [stray] = await ctx.table.rows(`SELECT count(*) AS n FROM ${ident(rows)} WHERE NOT EXISTS (SELECT 1 FROM ${ident(ctx.dataset)} WHERE ${match})`);
    const n = Number(stray!.n);
    if (n > 0) throw new ConfigError(`the query returned ${count(n)} row${n === 1 ? '' : 's'} that are not rows of ${ctx.dataset} (compared on ${wanted.join(', ')}): it must return rows of the dataset, e.g. SELECT * FROM ${ctx.dataset} WHERE …`, { dataset: ctx.dataset, field: 'query' });
    return {
      violates: `EXISTS (SELECT 1 FROM ${ident(rows)} WHERE ${match})`,
      reason: lit(s.description ? `${s.description}` : 'returned by the rule\'s query'),
      what: 'are returned by the query',
    };
  },
};

async function runQuery(ctx: RuleContext, sql: string): Promise<void> {
  try {
    await ctx.table.run(sql);
  } catch (err) {
    const e = classifyDuckDbError(err);
    throw new FerryError(e.code, `the query failed: ${e.message}`, { dataset: ctx.dataset, field: 'query' }, { cause: err });
  }
}
