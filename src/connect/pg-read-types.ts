/**
 * PostgreSQL → DuckDB types, for the postgres source. Values arrive as PostgreSQL's own text (with
 * the session settings of `READ_SESSION`), are written to NDJSON as strings (or nested lists of
 * strings for arrays) in the form DuckDB's casts parse, and are cast once, in DuckDB, to the column
 * type. Nothing passes through a JavaScript number or Date, so nothing is rounded.
 *
 *   const plan = readPlan(fields, lookup);      // one codec per column, in order
 *   file.write(JSON.stringify(plan.encode(row)));  // for each row (row: PostgreSQL text values)
 *   await table.run(plan.loadSql('items', [file]));
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
import pg from 'pg';
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

/** How the text of one scalar type becomes DuckDB-castable text, and its DuckDB type. */
type Scalar = { type: string; convert?: (text: string) => string; numeric?: boolean };

const SCALARS: Record<number, Scalar> = {
  16: { type: 'BOOLEAN' },
  17: { type: 'BLOB', convert: hexToDuckBlob },
  20: { type: 'BIGINT' },
  21: { type: 'SMALLINT' },
  23: { type: 'INTEGER' },
  26: { type: 'UBIGINT' }, // oid
  114: { type: 'JSON' },
  3802: { type: 'JSON' },
  700: { type: 'FLOAT' },
  701: { type: 'DOUBLE' },
  1082: { type: 'DATE', convert: bcToDuck },
  1083: { type: 'TIME' },
  1266: { type: 'VARCHAR' },
  1114: { type: 'TIMESTAMP', convert: bcToDuck },
  1184: { type: 'TIMESTAMPTZ', convert: bcToDuck },
  1186: { type: 'VARCHAR', convert: isoIntervalToText },
  1700: { type: 'DECIMAL', numeric: true },
  2950: { type: 'UUID' },
};

/** Array type OID → element type OID, for the built-in arrays (others are looked up in pg_type). */
const ARRAYS: Record<number, number> = {
  1000: 16, 1001: 17, 1016: 20, 1005: 21, 1007: 23, 1028: 26, 199: 114, 3807: 3802, 1021: 700, 1022: 701, 1182: 1082,
  1183: 1083, 1270: 1266, 1115: 1114, 1185: 1184, 1187: 1186, 1231: 1700, 2951: 2950,
  1009: 25, 1015: 1043, 1014: 1042, 1003: 19, 1002: 18,
};

/** PostgreSQL's array text → nested arrays of element text (NULL → null). */
const parseArray = (pg.types.getTypeParser as (oid: number, format: 'text') => (text: string) => unknown[])(1009, 'text');

/** The OIDs of `fields` that need a pg_type lookup (not built in). */
export function unknownOids(fields: PgField[]): number[] {
  return [...new Set(fields.map((f) => f.dataTypeID).filter((oid) => !(oid in SCALARS) && !(oid in ARRAYS) && !TEXT_OIDS.has(oid)))];
}
const TEXT_OIDS = new Set([18, 19, 25, 1042, 1043]);

/** Digits seen in a numeric column: decides between DECIMAL(38,s) and exact text. */
class NumericStats {
  intDigits = 0;
  scale = 0;
  special = false; // NaN or ±Infinity

  observe(text: string): void {
    if (!/^-?\d/.test(text)) {
      this.special = true;
      return;
    }
    const [whole = '', frac = ''] = text.replace(/^-/, '').split('.');
    const digits = whole.replace(/^0+/, '').length;
    if (digits > this.intDigits) this.intDigits = digits;
    if (frac.length > this.scale) this.scale = frac.length;
  }

  /** DECIMAL(p,s) as declared when p ≤ 38; else DECIMAL(38,s) when every value fits; else VARCHAR. */
  type(typmod: number): string {
    if (this.special) return 'VARCHAR';
    const declared = typmod >= 4 ? { precision: ((typmod - 4) >> 16) & 0xffff, scale: (typmod - 4) & 0xffff } : undefined;
    if (declared && declared.precision <= 38) return `DECIMAL(${declared.precision},${declared.scale})`;
    const scale = declared?.scale ?? this.scale;
    return this.intDigits + scale <= 38 ? `DECIMAL(38,${scale})` : 'VARCHAR';
  }
}

type Codec = {
  name: string;
  encode: (text: string | null) => unknown;
  /** The type read_json reads the NDJSON value as. */
  readType: () => string;
  /** The final DuckDB type (known once every value was seen). */
  type: () => string;
};

function scalarCodec(name: string, scalar: Scalar, typmod: number): Codec {
  const stats = scalar.numeric ? new NumericStats() : undefined;
  return {
    name,
    encode: (text) => {
      if (text === null) return null;
      stats?.observe(text);
      return scalar.convert ? scalar.convert(text) : text;
    },
    readType: () => 'VARCHAR',
    type: () => (stats ? stats.type(typmod) : scalar.type),
  };
}

function arrayCodec(name: string, element: Scalar, typmod: number): Codec {
  const stats = element.numeric ? new NumericStats() : undefined;
  const depths = new Set<number>();
  const visit = (value: unknown, depth: number): unknown => {
    if (Array.isArray(value)) {
      // An empty array says nothing about the dimensions.
      if (value.length && !Array.isArray(value[0])) depths.add(depth + 1);
      return value.map((v) => visit(v, depth + 1));
    }
    if (value === null) return null;
    const text = String(value);
    stats?.observe(text);
    return element.convert ? element.convert(text) : text;
  };
  const depth = () => (depths.size <= 1 ? ([...depths][0] ?? 1) : undefined);
  return {
    name,
    encode: (text) => (text === null ? null : visit(parseArray(text), 0)),
    readType: () => {
      const d = depth();
      return d === undefined ? 'JSON' : `VARCHAR${'[]'.repeat(d)}`;
    },
    type: () => {
      const d = depth();
      return d === undefined ? 'JSON' : `${stats ? stats.type(typmod) : element.type}${'[]'.repeat(d)}`;
    },
  };
}

const TEXT: Scalar = { type: 'VARCHAR' };

function codecOf(field: PgField, lookup: Map<number, PgTypeInfo>): Codec {
  const oid = field.dataTypeID;
  const scalar = SCALARS[oid];
  if (scalar) return scalarCodec(field.name, scalar, field.dataTypeModifier);
  const elem = ARRAYS[oid] ?? (lookup.get(oid)?.category === 'A' && lookup.get(oid)?.delim === ',' ? lookup.get(oid)!.elem : undefined);
  if (elem !== undefined) return arrayCodec(field.name, SCALARS[elem] ?? TEXT, field.dataTypeModifier);
  return scalarCodec(field.name, TEXT, -1);
}

export type ReadPlan = {
  /** One NDJSON record for a row of PostgreSQL text values (keys c0, c1…: any column name is safe). */
  encode: (row: (string | null)[]) => Record<string, unknown>;
  /** The DuckDB columns, final once every row was encoded. */
  columns: () => { name: string; type: string }[];
  /** SQL creating `dataset` from the NDJSON files (none: an empty table with the columns). */
  loadSql: (dataset: string, files: string[]) => string;
};

export function readPlan(fields: PgField[], lookup: Map<number, PgTypeInfo> = new Map()): ReadPlan {
  const codecs = fields.map((f) => codecOf(f, lookup));
  const columns = () => codecs.map((c) => ({ name: c.name, type: c.type() }));
  return {
    encode: (row) => {
      const out: Record<string, unknown> = {};
      for (let i = 0; i < codecs.length; i++) out[`c${i}`] = codecs[i]!.encode(row[i] ?? null);
      return out;
    },
    columns,
    loadSql: (dataset, files) => {
      if (!files.length) return `CREATE OR REPLACE TABLE ${ident(dataset)} (${columns().map((c) => `${ident(c.name)} ${c.type}`).join(', ')})`;
      const read = codecs.map((c, i) => `c${i}: ${lit(c.readType())}`).join(', ');
      const select = codecs.map((c, i) => `${castSql(`c${i}`, c.type())} AS ${ident(c.name)}`).join(', ');
      return `CREATE OR REPLACE TABLE ${ident(dataset)} AS SELECT ${select} FROM read_json([${files.map(lit).join(', ')}], format = 'newline_delimited', columns = {${read}})`;
    },
  };
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

/** bytea's hex output `\x01ff` → DuckDB's blob text `\x01\xff`. */
function hexToDuckBlob(text: string): string {
  return text.slice(2).replace(/[0-9a-f]{2}/gi, '\\x$&');
}

/** PostgreSQL writes BC dates as `0044-03-15 10:00:00 BC`; DuckDB reads `0044-03-15 (BC) 10:00:00`. */
function bcToDuck(text: string): string {
  if (!text.endsWith(' BC')) return text;
  const m = /^(\d+-\d\d-\d\d)(.*) BC$/.exec(text);
  return m ? `${m[1]} (BC)${m[2]}` : text;
}

/**
 * PostgreSQL's ISO 8601 interval (`P1Y2M-3DT-4H-5M-6.789S`) → `1 year 2 months -3 days -04:05:06.789`:
 * months, days and microseconds kept apart, in the text both DuckDB and PostgreSQL cast to an interval.
 */
export function isoIntervalToText(text: string): string {
  const m = /^P(?:(-?\d+)Y)?(?:(-?\d+)M)?(?:(-?\d+)D)?(?:T(?:(-?\d+)H)?(?:(-?\d+)M)?(?:(-?\d+(?:\.\d+)?)S)?)?$/.exec(text);
  if (!m) return text; // not ISO: kept as PostgreSQL wrote it
  const int = (s: string | undefined) => BigInt(s ?? '0');
  const months = int(m[1]) * 12n + int(m[2]);
  const days = int(m[3]);
  const micros = int(m[4]) * 3_600_000_000n + int(m[5]) * 60_000_000n + secondsToMicros(m[6] ?? '0');
  const unit = (n: bigint, name: string) => `${n} ${name}${n === 1n || n === -1n ? '' : 's'}`;
  const parts: string[] = [];
  if (months / 12n) parts.push(unit(months / 12n, 'year'));
  if (months % 12n) parts.push(unit(months % 12n, 'month'));
  if (days) parts.push(unit(days, 'day'));
  if (micros || !parts.length) parts.push(clockText(micros));
  return parts.join(' ');
}

/** Microseconds → `-04:05:06.789` (hours may exceed 24). */
function clockText(micros: bigint): string {
  const abs = micros < 0n ? -micros : micros;
  const two = (n: bigint) => String(n).padStart(2, '0');
  const fraction = abs % 1_000_000n ? `.${String(abs % 1_000_000n).padStart(6, '0').replace(/0+$/, '')}` : '';
  return `${micros < 0n ? '-' : ''}${two(abs / 3_600_000_000n)}:${two((abs / 60_000_000n) % 60n)}:${two((abs / 1_000_000n) % 60n)}${fraction}`;
}

function secondsToMicros(seconds: string): bigint {
  const negative = seconds.startsWith('-');
  const [whole = '0', frac = ''] = seconds.replace(/^-/, '').split('.');
  const micros = BigInt(whole) * 1_000_000n + BigInt(frac.padEnd(6, '0').slice(0, 6));
  return negative ? -micros : micros;
}
