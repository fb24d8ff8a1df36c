/**
 * DuckDB → PostgreSQL types, for the postgres sink: the column type of a created table, and the SQL
 * (run in DuckDB) that renders each value as text PostgreSQL's COPY parses into the target column.
 *
 *   const select = columns.map((c, i) => `${renderSql(ident(c.name), c.type, target.get(c.name))} AS c${i}`);
 *
 * | DuckDB                                  | PostgreSQL (created table)  | rendered as                                   |
 * | --------------------------------------- | --------------------------- | --------------------------------------------- |
 * | TINYINT, SMALLINT, INTEGER, BIGINT      | smallint, smallint, integer, bigint | digits                                |
 * | UTINYINT, USMALLINT, UINTEGER, UBIGINT  | smallint, integer, bigint, numeric(20,0) | digits                           |
 * | HUGEINT, UHUGEINT, BIGNUM               | numeric(39,0), numeric(39,0), numeric | digits                              |
 * | DECIMAL(p,s), p < 38                    | numeric(p,s)                | exact decimal                                 |
 * | DECIMAL(38,s)                           | numeric (unconstrained: a later run's wider value is not rounded) | exact decimal |
 * | FLOAT, DOUBLE                           | real, double precision      | shortest exact text, inf / nan               |
 * | BOOLEAN, UUID, VARCHAR, ENUM            | boolean, uuid, text, text   | as is                                         |
 * | DATE, TIME, TIME WITH TIME ZONE         | date, time, timetz          | ISO; BC dates as PostgreSQL writes them       |
 * | TIMESTAMP, TIMESTAMP WITH TIME ZONE     | timestamp, timestamptz      | ISO (with the offset); BC; ±infinity          |
 * | TIMESTAMP_S, TIMESTAMP_MS, TIMESTAMP_NS | timestamp                   | microseconds (nanoseconds are truncated)      |
 * | INTERVAL                                | interval                    | `1 year 2 months -3 days 04:05:06.789`        |
 * | BLOB                                    | bytea                       | `\x0102ff` (PostgreSQL's hex form)            |
 * | BIT                                     | bit varying                 | `0101`                                        |
 * | JSON                                    | jsonb                       | the JSON text                                 |
 * | LIST / ARRAY of a scalar above          | that type's array (integer[], text[], bytea[]…) | `{"1","2",NULL}` |
 * | LIST of LIST/STRUCT/MAP/JSON/UNION      | jsonb                       | to_json                                       |
 * | STRUCT, MAP, UNION                      | jsonb                       | to_json                                       |
 *
 * Into an existing table the rendering follows the target column: any value into a json/jsonb column
 * goes as JSON (to_json, or the text of a JSON/VARCHAR column), a list into an array column as an
 * array literal.
 */

const SCALAR_PG: Record<string, string> = {
  TINYINT: 'smallint', SMALLINT: 'smallint', INTEGER: 'integer', BIGINT: 'bigint',
  UTINYINT: 'smallint', USMALLINT: 'integer', UINTEGER: 'bigint', UBIGINT: 'numeric(20,0)',
  HUGEINT: 'numeric(39,0)', UHUGEINT: 'numeric(39,0)', BIGNUM: 'numeric', VARINT: 'numeric',
  FLOAT: 'real', DOUBLE: 'double precision', BOOLEAN: 'boolean', UUID: 'uuid', VARCHAR: 'text',
  DATE: 'date', TIME: 'time', 'TIME WITH TIME ZONE': 'timetz', TIMESTAMP: 'timestamp', 'TIMESTAMP WITH TIME ZONE': 'timestamptz', TIMESTAMPTZ: 'timestamptz',
  TIMESTAMP_S: 'timestamp', TIMESTAMP_MS: 'timestamp', TIMESTAMP_NS: 'timestamp', INTERVAL: 'interval',
  BLOB: 'bytea', BIT: 'bit varying', JSON: 'jsonb',
};

/** `INTEGER[]`, `INTEGER[3]` → `INTEGER`; anything else → undefined. */
export function listElement(duck: string): string | undefined {
  const m = /^(.*)\[\d*\]$/s.exec(duck.trim());
  return m ? m[1] : undefined;
}

const isNested = (duck: string) => /^(STRUCT|MAP|UNION)\(/i.test(duck) || listElement(duck) !== undefined;

/** A DuckDB type that becomes one PostgreSQL scalar (so a list of it becomes a PostgreSQL array). */
function isArrayElement(duck: string): boolean {
  const t = duck.toUpperCase();
  return !isNested(t) && t !== 'JSON';
}

/** The PostgreSQL column type for a DuckDB column type, when the sink creates the table. */
export function pgTypeOf(duck: string): string {
  const t = duck.trim().toUpperCase();
  const element = listElement(t);
  if (element !== undefined) return isArrayElement(element) ? `${pgTypeOf(element)}[]` : 'jsonb';
  if (/^(STRUCT|MAP|UNION)\(/.test(t)) return 'jsonb';
  const decimal = /^DECIMAL\((\d+),\s*(\d+)\)$/.exec(t);
  if (decimal) return Number(decimal[1]) >= 38 ? 'numeric' : `numeric(${decimal[1]},${decimal[2]})`;
  if (t.startsWith('ENUM(')) return 'text';
  return SCALAR_PG[t] ?? 'text';
}

/** What the sink knows of an existing target column (base type, past domains). */
export type TargetColumn = { type: string; isArray: boolean };

/**
 * SQL rendering the value of `expr` (of DuckDB type `duck`) as text that PostgreSQL parses into
 * `target` (the existing column; undefined: a column of type pgTypeOf(duck)). NULL stays NULL.
 */
export function renderSql(expr: string, duck: string, target?: TargetColumn): string {
  const t = duck.trim().toUpperCase();
  const targetType = target?.type ?? pgTypeOf(t);
  if (/^jsonb?$/.test(targetType)) return t === 'JSON' || t === 'VARCHAR' ? `CAST(${expr} AS VARCHAR)` : `CAST(to_json(${expr}) AS VARCHAR)`;
  const element = listElement(t);
  if (element !== undefined) {
    const toArray = target ? target.isArray : isArrayElement(element);
    return toArray ? arrayLiteralSql(expr, element) : `CAST(to_json(${expr}) AS VARCHAR)`;
  }
  if (/^(STRUCT|MAP|UNION)\(/.test(t)) return `CAST(to_json(${expr}) AS VARCHAR)`;
  return scalarSql(expr, t);
}

function scalarSql(expr: string, t: string): string {
  switch (t) {
    case 'BLOB':
      return `'\\x' || lower(hex(${expr}))`;
    case 'DATE':
      return bcSql(expr, `DATE '0001-01-01'`);
    case 'TIMESTAMP':
      return bcSql(expr, `TIMESTAMP '0001-01-01'`);
    case 'TIMESTAMP_S':
    case 'TIMESTAMP_MS':
    case 'TIMESTAMP_NS':
      return bcSql(`CAST(${expr} AS TIMESTAMP)`, `TIMESTAMP '0001-01-01'`);
    case 'TIMESTAMP WITH TIME ZONE':
    case 'TIMESTAMPTZ':
      return bcSql(expr, `TIMESTAMPTZ '0001-01-01 00:00:00+00'`);
    default:
      return `CAST(${expr} AS VARCHAR)`;
  }
}

/** DuckDB writes `0044-03-15 (BC) 10:00:00+00`; PostgreSQL reads `0044-03-15 10:00:00+00 BC`. */
function bcSql(expr: string, firstAd: string): string {
  return `CASE WHEN ${expr} < ${firstAd} THEN regexp_replace(CAST(${expr} AS VARCHAR), '^(\\d+-\\d+-\\d+) \\(BC\\)(.*)$', '\\1\\2 BC') ELSE CAST(${expr} AS VARCHAR) END`;
}

/**
 * A PostgreSQL array literal: `{"a","b \"q\"",NULL}`, each element rendered as its scalar type;
 * lists of lists become the nested braces of a multidimensional array (PostgreSQL needs them
 * rectangular: a ragged one fails with the row and column).
 */
function arrayLiteralSql(expr: string, element: string, depth = 0): string {
  const e = `e${depth}`;
  const inner = listElement(element);
  const item = inner !== undefined
    ? arrayLiteralSql(e, inner, depth + 1)
    : `'"' || replace(replace(${scalarSql(e, element.trim().toUpperCase())}, '\\', '\\\\'), '"', '\\"') || '"'`;
  return `'{' || array_to_string(list_transform(${expr}, lambda ${e}: CASE WHEN ${e} IS NULL THEN 'NULL' ELSE ${item} END), ',') || '}'`;
}
