/**
 * Column rules (row rules): not_null, unique, range, pattern, accepted_values, type, max_length.
 * Each says which rows violate it as SQL over the dataset (see RowRule in ../rule.ts). A NULL value
 * violates only not_null: every other rule checks the values that are there (pair it with not_null).
 */
import { z } from 'zod';
import { ConfigError } from '../../errors.js';
import { lit } from '../../table/engine.js';
import { ruleBase, type RowRule, type RuleContext } from '../rule.js';
import { col, exactCast, requireColumns, requireRegex, resolveType, shown, textOf, yamlText, NUMERIC_TYPES, TEMPORAL_TYPES } from '../sql.js';

const column = z.string().describe('the column checked');
const columns = z.array(z.string()).min(1).describe('the columns checked');
/**
 * A number as YAML gives it: an integer beyond 2^53 written in digits was already rounded when the
 * file was read (9007199254740993 → …992), so it must be quoted and is then converted exactly.
 */
const exactNumber = z.number().refine((n) => !Number.isInteger(n) || Number.isSafeInteger(n) || Math.abs(n) >= 1e21, {
  error: (issue) => `an integer beyond 2^53 is rounded when the YAML is read (this one became ${String(issue.input)}): write it quoted, as text`,
});
const scalar = z.union([z.string(), exactNumber, z.boolean()]);

const orList = (names: string[]): string => (names.length === 1 ? names[0]! : `${names.slice(0, -1).join(', ')} or ${names.at(-1)}`);

const notNullSchema = z.strictObject({ rule: z.literal('not_null'), ...ruleBase, columns });
export const notNull: RowRule<z.infer<typeof notNullSchema>> = {
  kind: 'row', schema: notNullSchema, label: (s) => s.columns.join(','),
  async check(s, ctx) {
    requireColumns(ctx.columns, ctx.dataset, s.columns, 'columns');
    const nulls = s.columns.map((c) => `CASE WHEN ${col(c)} IS NULL THEN ${lit(c)} END`);
    return {
      violates: s.columns.map((c) => `${col(c)} IS NULL`).join(' OR '),
      reason: `'NULL in ' || concat_ws(', ', ${nulls.join(', ')})`,
      what: `have NULL in ${orList(s.columns)}`,
    };
  },
};

/**
 * Every row of a repeated key violates (all of them: which one is "the" original is not known). A
 * key with a NULL in it is not checked, as in an SQL UNIQUE constraint (NULL equals nothing).
 */
const uniqueSchema = z.strictObject({ rule: z.literal('unique'), ...ruleBase, columns: columns.describe('the columns whose combination must be unique') });
export const unique: RowRule<z.infer<typeof uniqueSchema>> = {
  kind: 'row', schema: uniqueSchema, label: (s) => s.columns.join(','),
  async check(s, ctx) {
    requireColumns(ctx.columns, ctx.dataset, s.columns, 'columns');
    const key = s.columns.map(col).join(', ');
    const times = `count(*) OVER (PARTITION BY ${key})`;
    const value = s.columns.length === 1 ? shown(col(s.columns[0]!)) : `'(' || concat_ws(', ', ${s.columns.map((c) => shown(col(c))).join(', ')}) || ')'`;
    const name = s.columns.length === 1 ? s.columns[0]! : `(${s.columns.join(', ')})`;
    return {
      violates: `(${s.columns.map((c) => `${col(c)} IS NOT NULL`).join(' AND ')}) AND ${times} > 1`,
      reason: `${lit(`${name} `)} || ${value} || ' occurs ' || ${times} || ' times'`,
      what: `repeat a value of ${name}`,
    };
  },
};

const rangeSchema = z.strictObject({
  rule: z.literal('range'), ...ruleBase, column,
  min: z.union([exactNumber, z.string()]).optional().describe('smallest allowed value (a number, or a date/timestamp as text)'),
  max: z.union([exactNumber, z.string()]).optional().describe('largest allowed value'),
  exclusive: z.boolean().default(false).describe('min and max themselves are not allowed'),
}).refine((s) => s.min !== undefined || s.max !== undefined, { message: 'range needs min, max or both' });

/** Holds every BIGINT and 18 fraction digits: numeric bounds the column's own type cannot hold. */
const WIDE_DECIMAL = 'DECIMAL(38,18)';

/** A bound as a literal of the column's type: numbers for numeric columns, dates and timestamps as text. */
async function bound(ctx: RuleContext, type: string, value: number | string, field: string): Promise<string> {
  const numeric = NUMERIC_TYPES.test(type);
  if (!numeric && !TEMPORAL_TYPES.test(type)) {
    throw new ConfigError(`range needs a numeric, date or timestamp column; the column is ${type} (convert it in preprocess, or check it with the type rule)`, { dataset: ctx.dataset, field: 'column' });
  }
  const expr = numeric ? `TRY_CAST(${yamlText(value)} AS DOUBLE)` : `TRY_CAST(${yamlText(value)} AS ${type})`;
  // A numeric bound is compared exactly where it can be: in the column's type, else as a wide DECIMAL
  // (12.5 against a BIGINT). Through DOUBLE, BIGINTs beyond 2^53 and wide DECIMALs would round, and
  // 9007199254740995 would not be below …996.
  const exact = numeric ? [type, WIDE_DECIMAL] : [];
  const [row] = await ctx.table.rows(`SELECT ${[`${expr} IS NOT NULL AS ok`, ...exact.map((t, i) => `${exactCast(yamlText(value), t)} IS NOT NULL AS exact${i}`)].join(', ')}`);
  if (row?.ok !== true) throw new ConfigError(`${JSON.stringify(value)} is not a ${numeric ? 'number' : type} like the column`, { dataset: ctx.dataset, field });
  const as = exact.find((_, i) => row[`exact${i}`] === true);
  if (as) return `CAST(${yamlText(value)} AS ${as})`;
  return numeric ? (typeof value === 'number' ? String(value) : `CAST(${lit(value)} AS DOUBLE)`) : `CAST(${lit(value)} AS ${type})`;
}

export const range: RowRule<z.infer<typeof rangeSchema>> = {
  kind: 'row', schema: rangeSchema, label: (s) => s.column,
  async check(s, ctx) {
    const [c] = requireColumns(ctx.columns, ctx.dataset, [s.column], 'column');
    const v = col(s.column);
    const tests: string[] = [];
    const reasons: string[] = [];
    const [below, above] = s.exclusive ? ['at or below', 'at or above'] : ['below', 'above'];
    if (s.min !== undefined) {
      const lo = await bound(ctx, c!.type, s.min, 'min');
      tests.push(`${v} ${s.exclusive ? '<=' : '<'} ${lo}`);
      reasons.push(`WHEN ${v} ${s.exclusive ? '<=' : '<'} ${lo} THEN ${lit(` is ${below} ${s.min}`)}`);
    }
    if (s.max !== undefined) {
      const hi = await bound(ctx, c!.type, s.max, 'max');
      tests.push(`${v} ${s.exclusive ? '>=' : '>'} ${hi}`);
      reasons.push(`WHEN ${v} ${s.exclusive ? '>=' : '>'} ${hi} THEN ${lit(` is ${above} ${s.max}`)}`);
    }
    const outside = s.min !== undefined && s.max !== undefined
      ? `outside ${s.exclusive ? '(' : '['}${s.min}, ${s.max}${s.exclusive ? ')' : ']'}`
      : s.min !== undefined ? `${below} ${s.min}` : `${above} ${s.max}`;
    return {
      violates: tests.join(' OR '),
      reason: `${lit(`${s.column} `)} || ${shown(v)} || CASE ${reasons.join(' ')} END`,
      what: `have ${s.column} ${outside}`,
    };
  },
};

const patternSchema = z.strictObject({ rule: z.literal('pattern'), ...ruleBase, column, regex: z.string().min(1).describe('a regular expression the whole value must match (RE2 syntax)') });
export const pattern: RowRule<z.infer<typeof patternSchema>> = {
  kind: 'row', schema: patternSchema, label: (s) => s.column,
  async check(s, ctx) {
    requireColumns(ctx.columns, ctx.dataset, [s.column], 'column');
    await requireRegex(ctx.table, s.regex, ctx.dataset, 'regex');
    const v = col(s.column);
    return {
      violates: `NOT regexp_full_match(${textOf(v)}, ${lit(s.regex)})`,
      reason: `${lit(`${s.column} `)} || ${shown(v)} || ${lit(` does not match ${s.regex}`)}`,
      what: `have ${s.column} not matching ${s.regex}`,
    };
  },
};

/**
 * The accepted values are converted to the column's type, exactly (1 and '1' both mean 1 in an
 * INTEGER column and '1' in a text one); a value that does not convert exactly (1.5 or 'x' for an
 * INTEGER column) is a config error, never a silent mismatch.
 */
const acceptedSchema = z.strictObject({ rule: z.literal('accepted_values'), ...ruleBase, column, values: z.array(scalar).min(1).describe('the allowed values') });
export const acceptedValues: RowRule<z.infer<typeof acceptedSchema>> = {
  kind: 'row', schema: acceptedSchema, label: (s) => s.column,
  async check(s, ctx) {
    const [c] = requireColumns(ctx.columns, ctx.dataset, [s.column], 'column');
    const casts = s.values.map((value) => exactCast(yamlText(value), c!.type));
    const [row] = await ctx.table.rows(`SELECT [${casts.map((x) => `${x} IS NOT NULL`).join(', ')}] AS ok`);
    const ok = row!.ok as boolean[];
    const bad = ok.findIndex((x) => !x);
    if (bad >= 0) throw new ConfigError(`${JSON.stringify(s.values[bad])} is not a value of the column's type ${c!.type}`, { dataset: ctx.dataset, field: `values[${bad}]` });
    const v = col(s.column);
    const list = s.values.map((x) => JSON.stringify(x)).join(', ');
    return {
      violates: `${v} NOT IN (${casts.join(', ')})`,
      reason: `${lit(`${s.column} `)} || ${shown(v)} || ${lit(` is not one of ${list}`)}`,
      what: `have ${s.column} not in ${list}`,
    };
  },
};

/** The text form of every non-NULL value must convert to the type exactly (see exactCast); '' is a value, not NULL. */
const typeSchema = z.strictObject({ rule: z.literal('type'), ...ruleBase, column, type: z.string().min(1).describe('a type every non-NULL value must convert to exactly, e.g. INTEGER, DATE, DECIMAL(12,2), TIMESTAMPTZ') });
export const type: RowRule<z.infer<typeof typeSchema>> = {
  kind: 'row', schema: typeSchema, label: (s) => s.column,
  async check(s, ctx) {
    requireColumns(ctx.columns, ctx.dataset, [s.column], 'column');
    const target = await resolveType(ctx.table, s.type, ctx.dataset, 'type');
    const v = col(s.column);
    return {
      violates: `${v} IS NOT NULL AND ${exactCast(textOf(v), target)} IS NULL`,
      reason: `${lit(`${s.column} `)} || ${shown(v)} || ${lit(` is not of type ${target}`)}`,
      what: `have ${s.column} that is not of type ${target}`,
    };
  },
};

const maxLengthSchema = z.strictObject({ rule: z.literal('max_length'), ...ruleBase, column, max: z.number().int().min(0).describe('longest allowed text, in characters') });
export const maxLength: RowRule<z.infer<typeof maxLengthSchema>> = {
  kind: 'row', schema: maxLengthSchema, label: (s) => s.column,
  async check(s, ctx) {
    requireColumns(ctx.columns, ctx.dataset, [s.column], 'column');
    const len = `length(${textOf(col(s.column))})`;
    return {
      violates: `${len} > ${s.max}`,
      reason: `${lit(`${s.column} has `)} || ${len} || ${lit(` characters (at most ${s.max})`)}`,
      what: `have ${s.column} longer than ${s.max} characters`,
    };
  },
};
