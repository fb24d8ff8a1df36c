/**
 * PostgreSQL → DuckDB types, for the postgres source. PostgreSQL renders each column as its own text (with
 * the session settings of `READ_SESSION`; arrays as JSON arrays of their elements' text), COPY
 * streams it as CSV to a file, and DuckDB reads the file and casts each column once to its type.
 * Nothing passes through a JavaScript number, Date or row object, so nothing is rounded.
 *
 *   const plan = copyPlan(fields, lookup);                       // fields: the query's RowDescription
 *   COPY (plan.selectSql(query)) TO STDOUT (FORMAT csv, FORCE_QUOTE *)   → file
 *   const stats = plan.stats(statsSql && (await table.rows(plan.statsSql(file)))[0]);
 *   await table.run(plan.loadSql('items', file, stats));
 *
 * | PostgreSQL                         | DuckDB                                                      |
 * | ---------------------------------- | ----------------------------------------------------------- |
 * | smallint, integer, bigint          | SMALLINT, INTEGER, BIGINT                                   |
 * | real, double precision             | FLOAT, DOUBLE (shortest exact text; NaN and ±Infinity kept) |
 * | numeric(p,s), p ≤ 38               | DECIMAL(p,s)                                                |
 * | numeric, numeric(p>38,s), sum/avg  | DECIMAL(38,s), s = the largest scale in the result, when every value fits in 38 digits; else VARCHAR holding the exact decimal text (also for NaN, ±Infinity) |
 * | boolean, uuid, date, time          | BOOLEAN, UUID, DATE, TIME (BC dates kept)                   |
 * | timestamp, timestamptz             | TIMESTAMP, TIMESTAMPTZ (microseconds, ±infinity kept)       |
 * | interval                           | VARCHAR `1 year 2 months -3 days -04:05:06.789`, which DuckDB and PostgreSQL both cast back exactly (Parquet, the staging format, keeps intervals only in milliseconds and never negative) |
 * | timetz                             | VARCHAR `10:00:00+05:30` (Parquet would shift it to UTC and lose the zone) |
 * | json, jsonb                        | JSON (the document's own text: numbers keep every digit)    |
 * | bytea                              | BLOB                                                        |
 * | an array of any of these           | a LIST of it (INTEGER[], VARCHAR[]…; n dimensions → n nested lists; arrays of mixed dimensions → JSON) |
 * | text, varchar, char, anything else | VARCHAR (PostgreSQL's text form: enums, inet, money, ranges…) |
 */
import { ident, lit } from '../table/engine.js';

/** Session settings that make PostgreSQL's text output unambiguous for the codecs below. */
export const READ_SESSION = [
  "SET LOCAL TimeZone = 'UTC'",
  "SET LOCAL DateStyle = 'ISO, YMD'",
  "SET LOCAL IntervalStyle = 'iso_8601'",
  "SET LOCAL bytea_output = 'hex'",
  'SET LOCAL extra_float_digits = 3', // exact floats: the shortest exact text from PostgreSQL 12 on, all 17 digits before
];

/** The type facts of a result column: its OID and modifier (numeric precision and scale). */
export type PgField = { name: string; dataTypeID: number; dataTypeModifier: number };

/** What pg_type says about an OID this module does not know (for arrays of enums, domains…). */
export type PgTypeInfo = { oid: number; category: string; elem: number; delim: string };

/**
 * How one scalar type reaches DuckDB: its DuckDB type, and `convert`, the DuckDB SQL that turns
 * PostgreSQL's text (in `x`) into text DuckDB's cast reads (or, for bytea, the BLOB itself).
 */
type Scalar = { type: string; convert?: (x: string) => string; numeric?: boolean };

const SCALARS: Record<number, Scalar> = {
  16: { type: 'BOOLEAN' },
  17: { type: 'BLOB', convert: (x) => `from_hex(substr(${x}, 3))` }, // hex output `\x01ff`
  20: { type: 'BIGINT' },
  21: { type: 'SMALLINT' },
  23: { type: 'INTEGER' },
  26: { type: 'UBIGINT' }, // oid
  114: { type: 'JSON' },
  3802: { type: 'JSON' },
  700: { type: 'FLOAT' },
  701: { type: 'DOUBLE' },
  1082: { type: 'DATE', convert: bcSql },
  1083: { type: 'TIME' },
  1266: { type: 'VARCHAR' },
  1114: { type: 'TIMESTAMP', convert: bcSql },
  1184: { type: 'TIMESTAMPTZ', convert: bcSql },
  1186: { type: 'VARCHAR', convert: intervalSql },
  1700: { type: 'DECIMAL', numeric: true },
  2950: { type: 'UUID' },
};

/** Array type OID → element type OID, for the built-in arrays (others are looked up in pg_type). */
const ARRAYS: Record<number, number> = {
  1000: 16, 1001: 17, 1016: 20, 1005: 21, 1007: 23, 1028: 26, 199: 114, 3807: 3802, 1021: 700, 1022: 701, 1182: 1082,
  1183: 1083, 1270: 1266, 1115: 1114, 1185: 1184, 1187: 1186, 1231: 1700, 2951: 2950,
  1009: 25, 1015: 1043, 1014: 1042, 1003: 19, 1002: 18,
};

const TEXT_OIDS = new Set([18, 19, 25, 1042, 1043]);
const TEXT: Scalar = { type: 'VARCHAR' };

/** The OIDs of `fields` that need a pg_type lookup (not built in). */
export function unknownOids(fields: PgField[]): number[] {
  return [...new Set(fields.map((f) => f.dataTypeID).filter((oid) => !(oid in SCALARS) && !(oid in ARRAYS) && !TEXT_OIDS.has(oid)))];
}

/** What the values of a numeric column (or numeric array) hold: decides between DECIMAL(38,s) and exact text. */
export type NumericStats = { intDigits: number; scale: number; special: boolean };

/** DECIMAL(p,s) as declared when p ≤ 38; else DECIMAL(38,s) when every value fits; else VARCHAR (also for NaN, ±Infinity). */
export function numericType(stats: NumericStats, typmod: number): string {
  if (stats.special) return 'VARCHAR';
  const declared = declaredNumeric(typmod);
  if (declared && declared.precision <= 38) return `DECIMAL(${declared.precision},${declared.scale})`;
  const scale = declared?.scale ?? stats.scale;
  return stats.intDigits + scale <= 38 ? `DECIMAL(38,${scale})` : 'VARCHAR';
}

/** numeric(p,s) from the column's type modifier; undefined for an unconstrained numeric. */
const declaredNumeric = (typmod: number): { precision: number; scale: number } | undefined =>
  typmod >= 4 ? { precision: ((typmod - 4) >> 16) & 0xffff, scale: (typmod - 4) & 0xffff } : undefined;

/** PostgreSQL's text for the numeric values that are not numbers. */
const SPECIAL = `('NaN', 'Infinity', '-Infinity')`;

/** One result column: how PostgreSQL renders it into the CSV, and what DuckDB makes of it. */
type Column = { name: string; typmod: number; scalar: Scalar; array: boolean };

function columnOf(field: PgField, lookup: Map<number, PgTypeInfo>): Column {
  const oid = field.dataTypeID;
  const scalar = SCALARS[oid];
  const base = { name: field.name, typmod: field.dataTypeModifier };
  if (scalar) return { ...base, scalar, array: false };
  const info = lookup.get(oid);
  const elem = ARRAYS[oid] ?? (info?.category === 'A' && info.delim === ',' ? info.elem : undefined);
  if (elem !== undefined) return { ...base, scalar: SCALARS[elem] ?? TEXT, array: true };
  return { name: field.name, typmod: -1, scalar: TEXT, array: false };
}

/** The facts `loadSql` needs that only the rows tell: numeric digits, array depths (undefined: mixed). */
export type ColumnStats = { numeric?: NumericStats; depth?: number | undefined };

export type CopyPlan = {
  /** `SELECT <one text column per result column> FROM (<query>) q`: what COPY … TO STDOUT runs. */
  selectSql: (query: string) => string;
  /** The DuckDB query reading the facts of the CSV `file` that decide types (undefined: none needed). */
  statsSql: (file: string) => string | undefined;
  /** The row `statsSql` returned → the facts per column. */
  stats: (row: Record<string, unknown> | undefined) => ColumnStats[];
  /** The DuckDB columns, given the facts. */
  columns: (stats: ColumnStats[]) => { name: string; type: string }[];
  /** SQL creating `dataset` from the CSV `file` (undefined: an empty table with the columns). */
  loadSql: (dataset: string, file: string | undefined, stats: ColumnStats[]) => string;
};

/**
 * The read plan of a result. PostgreSQL renders every column as text in the session settings of
 * `READ_SESSION` (arrays as a JSON array of their elements' text: `array_to_json(a::text[])`, which
 * keeps dimensions, NULL elements and any quoting), COPY writes them as CSV with every non-NULL
 * value quoted (NULL is an empty unquoted field, '' is `""`), and DuckDB reads the CSV as text and
 * casts each column once, so nothing passes through a JavaScript value.
 */
export function copyPlan(fields: PgField[], lookup: Map<number, PgTypeInfo> = new Map()): CopyPlan {
  const cols = fields.map((f) => columnOf(f, lookup));
  const c = (i: number) => `c${i}`;
  const csv = (file: string) => `read_csv(${lit(file)}, header = false, auto_detect = false, delim = ',', quote = '"', escape = '"', new_line = '\\n', `
    + `allow_quoted_nulls = false, strict_mode = true, columns = {${cols.map((_, i) => `${c(i)}: 'VARCHAR'`).join(', ')}})`;
  const typeOf = (col: Column, s: ColumnStats): string => {
    const element = col.scalar.numeric ? numericType(s.numeric ?? { intDigits: 0, scale: 0, special: false }, col.typmod) : col.scalar.type;
    if (!col.array) return element;
    return s.depth === undefined ? 'JSON' : `${element}${'[]'.repeat(s.depth)}`;
  };
  const columns = (stats: ColumnStats[]) => cols.map((col, i) => ({ name: col.name, type: typeOf(col, stats[i] ?? { depth: 1 }) }));
  return {
    selectSql: (query) => `SELECT ${cols.map((col, i) => `${col.array ? `array_to_json(q.${ident(col.name)}::text[])` : `q.${ident(col.name)}`} AS ${c(i)}`).join(', ')} FROM (\n${query}\n) q`,
    statsSql: (file) => {
      const parts: string[] = [];
      cols.forEach((col, i) => {
        if (col.array) {
          // `{}` (no dimensions) says nothing; `[[…` says 2.
          const depth = `CASE WHEN ${c(i)} <> '[]' THEN length(regexp_extract(${c(i)}, '^\\[*')) END`;
          parts.push(`min(${depth}) AS d_min_${i}`, `max(${depth}) AS d_max_${i}`);
        }
        if (col.scalar.numeric) {
          // A declared numeric(p,s) with p ≤ 38 is DECIMAL(p,s) whatever the digits: only NaN and
          // ±Infinity (the text PostgreSQL writes for them) need looking for.
          const special = `coalesce(bool_or(${col.array ? `list_bool_or(list_transform(regexp_extract_all(${c(i)}, '"([^"]*)"', 1), lambda v: v IN ${SPECIAL}))` : `${c(i)} IN ${SPECIAL}`}), false) AS n_special_${i}`;
          if (declaredNumeric(col.typmod) && declaredNumeric(col.typmod)!.precision <= 38) {
            parts.push(`0 AS n_int_${i}`, `0 AS n_scale_${i}`, special);
            return;
          }
          const values = col.array ? `regexp_extract_all(${c(i)}, '"([^"]*)"', 1)` : `[${c(i)}]`;
          const over = (e: string) => `max(list_max(list_transform(${values}, lambda v: ${e})))`;
          parts.push(`${over(`length(ltrim(split_part(ltrim(v, '-'), '.', 1), '0'))`)} AS n_int_${i}`, `${over(`length(split_part(v, '.', 2))`)} AS n_scale_${i}`, special);
        }
      });
      return parts.length ? `SELECT ${parts.join(', ')} FROM ${csv(file)}` : undefined;
    },
    stats: (row) => cols.map((col, i) => {
      const num = (k: string) => Number(row?.[`${k}_${i}`] ?? 0);
      const s: ColumnStats = {};
      if (col.array) {
        const [min, max] = [row?.[`d_min_${i}`], row?.[`d_max_${i}`]];
        s.depth = min === null || min === undefined ? 1 : Number(min) === Number(max) ? Number(min) : undefined;
      }
      if (row && `n_int_${i}` in row) s.numeric = { intDigits: num('n_int'), scale: num('n_scale'), special: row[`n_special_${i}`] === true };
      return s;
    }),
    columns,
    loadSql: (dataset, file, stats) => {
      const out = columns(stats);
      if (!file) return `CREATE OR REPLACE TABLE ${ident(dataset)} (${out.map((o) => `${ident(o.name)} ${o.type}`).join(', ')})`;
      const select = cols.map((col, i) => `${valueSql(col, c(i), out[i]!.type, stats[i]?.depth)} AS ${ident(col.name)}`).join(', ');
      return `CREATE OR REPLACE TABLE ${ident(dataset)} AS SELECT ${select} FROM ${csv(file)}`;
    },
  };
}

/** The DuckDB value of column `x` (text) as `type`: arrays parsed from JSON, each element converted and cast. */
function valueSql(col: Column, x: string, type: string, depth: number | undefined): string {
  if (!col.array) return castFrom(col.scalar.convert ? col.scalar.convert(x) : x, type, col.scalar);
  if (depth === undefined) return `CAST(${x} AS JSON)`; // arrays of several dimensions in one column
  let list = `from_json(${x}, '${'['.repeat(depth)}"VARCHAR"${']'.repeat(depth)}')`;
  if (col.scalar.convert) {
    // Nested lambdas, one per dimension, convert the elements.
    let inner = col.scalar.convert(`e${depth}`);
    for (let d = depth; d > 1; d--) inner = `list_transform(e${d - 1}, lambda e${d}: ${inner})`;
    list = `list_transform(${list}, lambda e1: ${inner})`;
  }
  return castFrom(list, type, col.scalar);
}

/** A BLOB is made by its conversion; text stays text; anything else is cast (wide decimals the fast way). */
function castFrom(expr: string, type: string, scalar: Scalar): string {
  if (scalar.type === 'BLOB' || type === 'VARCHAR' || /^VARCHAR(\[\])*$/.test(type)) return expr;
  return castSql(expr, type);
}

/**
 * `CAST(expr AS type)` from text, except for wide decimals: DuckDB parses text into a DECIMAL wider
 * than 18 digits about 20-70 times slower than into a HUGEINT (8 s for a million values), so the
 * digits are parsed as a HUGEINT and scaled by an exact decimal multiplication instead.
 */
export function castSql(expr: string, type: string): string {
  const list = /^(.*)\[\]$/.exec(type);
  if (list) {
    const element = castSql('x', list[1]!);
    return element === `CAST(x AS ${list[1]})` ? `CAST(${expr} AS ${type})` : `list_transform(${expr}, lambda x: ${element})`;
  }
  const decimal = /^DECIMAL\((\d+),(\d+)\)$/.exec(type);
  if (!decimal || Number(decimal[1]) <= 18) return `CAST(${expr} AS ${type})`;
  const scale = Number(decimal[2]);
  const digits = scale ? `split_part(${expr}, '.', 1) || rpad(split_part(${expr}, '.', 2), ${scale}, '0')` : expr;
  const unscaled = `CAST(CAST(${digits} AS HUGEINT) AS DECIMAL(38,0))`;
  const scaled = scale ? `${unscaled} * CAST('0.${'0'.repeat(scale - 1)}1' AS DECIMAL(${Math.min(scale + 1, 38)},${scale}))` : unscaled;
  return `CAST(${scaled} AS ${type})`;
}

/** PostgreSQL writes BC dates as `0044-03-15 10:00:00 BC`; DuckDB reads `0044-03-15 (BC) 10:00:00`. */
function bcSql(x: string): string {
  return `regexp_replace(${x}, '^(\\d+-\\d\\d-\\d\\d)(.*) BC$', '\\1 (BC)\\2')`;
}

const ISO_INTERVAL = '^P(?:(-?\\d+)Y)?(?:(-?\\d+)M)?(?:(-?\\d+)D)?(?:T(?:(-?\\d+)H)?(?:(-?\\d+)M)?(?:(-?\\d+(?:\\.\\d+)?)S)?)?$';

/**
 * PostgreSQL's ISO 8601 interval (`P1Y2M-3DT-4H-5M-6.789S`) → `1 year 2 months -3 days -04:05:06.789`
 * (DuckDB SQL over the text `x`): months, days and microseconds kept apart, in the text both DuckDB
 * and PostgreSQL cast to an interval. Text that is not ISO is kept as PostgreSQL wrote it.
 */
export function intervalSql(x: string): string {
  const n = (g: string) => `CAST(coalesce(nullif(m.${g}, ''), '0') AS HUGEINT)`;
  const seconds = `coalesce(nullif(m.s, ''), '0')`;
  const secMicros = `(CASE WHEN starts_with(${seconds}, '-') THEN -1 ELSE 1 END) * (CAST(split_part(ltrim(${seconds}, '-'), '.', 1) AS HUGEINT) * 1000000 + CAST(rpad(split_part(${seconds}, '.', 2), 6, '0')[1:6] AS HUGEINT))`;
  const fields = `{'months': ${n('y')} * 12 + ${n('mo')}, 'days': ${n('d')}, 'micros': ${n('h')} * 3600000000 + ${n('mi')} * 60000000 + ${secMicros}}`;
  const unit = (v: string, name: string) => `CASE WHEN ${v} <> 0 THEN CAST(${v} AS VARCHAR) || ' ${name}' || CASE WHEN abs(${v}) = 1 THEN '' ELSE 's' END END`;
  const years = 'trunc(f.months / 12)::HUGEINT';
  const months = 'f.months % 12';
  const a = 'abs(f.micros)';
  const two = (v: string) => `(CASE WHEN ${v} < 10 THEN '0' ELSE '' END || CAST(${v} AS VARCHAR))`;
  const frac = `CASE WHEN ${a} % 1000000 <> 0 THEN '.' || rtrim(lpad(CAST(${a} % 1000000 AS VARCHAR), 6, '0'), '0') ELSE '' END`;
  const clock = `(CASE WHEN f.micros < 0 THEN '-' ELSE '' END) || ${two(`${a} // 3600000000`)} || ':' || ${two(`(${a} // 60000000) % 60`)} || ':' || ${two(`(${a} // 1000000) % 60`)} || ${frac}`;
  const text = `concat_ws(' ', ${unit(years, 'year')}, ${unit(months, 'month')}, ${unit('f.days', 'day')}, CASE WHEN f.micros <> 0 OR (f.months = 0 AND f.days = 0) THEN ${clock} END)`;
  const matched = `regexp_matches(${x}, '${ISO_INTERVAL}')`;
  return `CASE WHEN ${matched} THEN list_transform([regexp_extract(${x}, '${ISO_INTERVAL}', ['y', 'mo', 'd', 'h', 'mi', 's'])], lambda m: list_transform([${fields}], lambda f: ${text})[1])[1] ELSE ${x} END`;
}
