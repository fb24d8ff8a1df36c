/**
 * SQL pieces the quality rules share: a value as text for reasons, exact conversions (the `type`
 * and `accepted_values` rules), and the checks that turn a bad rule spec into a ConfigError naming
 * the field (the quality activity adds the rule's name).
 *
 *   exactCast("CAST(amount AS VARCHAR)", 'DECIMAL(12,2)')   // NULL unless '12.34' is exactly a DECIMAL(12,2)
 */
import { ConfigError } from '../errors.js';
import { ident, lit, type Column, type TableEngine } from '../table/engine.js';

/** A column's value as text for a reason: `'x'` quoted, NULL as NULL (never a NULL reason). */
export const shown = (expr: string): string => `coalesce('''' || CAST(${expr} AS VARCHAR) || '''', 'NULL')`;
/** A column's value as plain text (NULL stays NULL). */
export const textOf = (expr: string): string => `CAST(${expr} AS VARCHAR)`;

/** Unknown columns fail with the dataset's real ones listed. */
export function requireColumns(columns: Column[], dataset: string, wanted: string[], field: string): Column[] {
  const missing = wanted.filter((w) => !columns.some((c) => c.name === w));
  if (missing.length) {
    throw new ConfigError(`unknown column${missing.length > 1 ? 's' : ''} ${missing.map((m) => `'${m}'`).join(', ')} in ${dataset}; it has: ${columns.map((c) => c.name).join(', ')}`, { dataset, field });
  }
  return wanted.map((w) => columns.find((c) => c.name === w)!);
}

/** A type name as written in a rule: a name, optional (p) or (p,s), optional []; never more SQL. */
const TYPE_NAME = /^[A-Za-z][A-Za-z0-9_ ]*(\(\s*\d+\s*(,\s*\d+\s*)?\))?(\[\])*$/;

/** The type in DuckDB's own spelling (`decimal(12, 2)` → DECIMAL(12,2)); a ConfigError for an unknown one. */
export async function resolveType(table: TableEngine, type: string, dataset: string, field: string): Promise<string> {
  if (!TYPE_NAME.test(type.trim())) throw new ConfigError(`'${type}' is not a type name (e.g. INTEGER, DATE, DECIMAL(12,2))`, { dataset, field });
  try {
    const [row] = await table.rows(`SELECT typeof(TRY_CAST(NULL AS ${type.trim()})) AS t`);
    return String(row!.t);
  } catch (err) {
    throw new ConfigError(`unknown type '${type}' (e.g. INTEGER, BIGINT, DOUBLE, DECIMAL(12,2), DATE, TIMESTAMP, TIMESTAMPTZ, BOOLEAN, VARCHAR)`, { dataset, field }, { cause: err });
  }
}

export const INTEGER_TYPES = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT)$/;
export const NUMERIC_TYPES = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|DECIMAL\(\d+,\d+\))$/;
export const TEMPORAL_TYPES = /^(DATE|TIMESTAMP|TIMESTAMP WITH TIME ZONE|TIMESTAMP_S|TIMESTAMP_MS|TIMESTAMP_NS)$/;

/**
 * `text` (an SQL text expression) as `type`, exactly, else NULL. DuckDB's TRY_CAST is lenient —
 * '12.5' becomes INTEGER 13, '12.345' DECIMAL(12,2) 12.35, '2024-01-05 10:00' a DATE — so a value
 * must also look exact: integers are digits (a `.0…` tail allowed), decimals have at most `s`
 * significant fraction digits, a date has no time of day, a timestamp no finer fraction of a second
 * than its type keeps (microseconds; TIMESTAMP_MS milliseconds).
 */
export function exactCast(text: string, type: string): string {
  const cast = `TRY_CAST(${text} AS ${type})`;
  const decimal = /^DECIMAL\((\d+),(\d+)\)$/.exec(type);
  let shape: string | undefined;
  if (INTEGER_TYPES.test(type)) shape = `regexp_full_match(trim(${text}), '[+-]?[0-9]+(\\.0*)?')`;
  else if (decimal) {
    const s = Number(decimal[2]);
    const frac = s === 0 ? '(\\.0*)?' : `(\\.[0-9]{0,${s}}0*)?`;
    shape = `regexp_full_match(trim(${text}), '[+-]?([0-9]+${frac}${s === 0 ? '' : `|\\.[0-9]{1,${s}}0*`})')`;
  } else if (type === 'DATE') shape = `TRY_CAST(${text} AS TIMESTAMP) = CAST(${cast} AS TIMESTAMP)`;
  else if (type in FRACTION_DIGITS) {
    // A second's fraction finer than the type holds would be cut: a nonzero digit past them is not exact.
    shape = `NOT regexp_matches(${text}, ':[0-9]{2}\\.[0-9]{${FRACTION_DIGITS[type]}}[0-9]*[1-9]')`;
  }
  return shape ? `CASE WHEN ${shape} THEN ${cast} END` : cast;
}

/** How many digits of a second each timestamp type keeps. */
const FRACTION_DIGITS: Record<string, number> = { 'TIMESTAMP': 6, 'TIMESTAMP WITH TIME ZONE': 6, 'TIMESTAMP_MS': 3, 'TIMESTAMP_S': 0 };

/** A literal from YAML (number, text, boolean) as its text form, for exactCast. */
export const yamlText = (v: string | number | boolean): string => lit(String(v));

/** Checks a regular expression with DuckDB's own engine (RE2): a ConfigError naming the field if it is not one. */
export async function requireRegex(table: TableEngine, regex: string, dataset: string, field: string): Promise<void> {
  try {
    await table.rows(`SELECT regexp_full_match('', ${lit(regex)}) AS ok`);
  } catch (err) {
    throw new ConfigError(`invalid regular expression ${JSON.stringify(regex)}: ${(err as Error).message.replace(/^[A-Za-z ]*Error: /, '')}`, { dataset, field }, { cause: err });
  }
}

export const col = ident;
