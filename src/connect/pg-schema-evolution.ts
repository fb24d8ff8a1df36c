/**
 * Schema evolution of the postgres sink: the dataset's columns against an existing table's, per the
 * sink's `schema` policy, decided before any row is written.
 *
 *   sinks:
 *     warehouse: { type: postgres, connection: dw, input: orders, table: s.orders, schema: evolve }
 *
 * - `evolve` (default, as dlt): a dataset column the table lacks is added (ALTER TABLE … ADD COLUMN
 *   with the type pgTypeOf gives, nullable), in its own short transaction under the per-schema DDL
 *   advisory lock; rows already in the table get NULL there.
 * - `freeze`: a column the table lacks fails the load (ConfigError naming the columns); nothing is written.
 * - `discard_columns`: such columns are left out of the load, and the detail says which.
 * - Under every policy: a table column the dataset lacks gets its default (NULL unless the column
 *   has one), and the detail says so; a column whose dataset type cannot be written into the
 *   table's type (BIGINT into integer, DECIMAL(18,4) into numeric(10,2), DATE into integer) is a
 *   ConfigError naming the column and both types, before anything is written.
 *
 * Failure semantics: an added column stays when the load then fails (DDL commits on its own, as
 * CREATE TABLE does); the retry finds it and adds nothing. ADD COLUMN IF NOT EXISTS under the lock
 * makes parallel sinks adding the same column harmless.
 */
import type pg from 'pg';
import { ConfigError } from '../errors.js';
import { ident, type Column } from '../table/engine.js';
import { qualified, type TableRef } from './pg-catalog.js';
import { listElement, pgTypeOf, type TargetColumn } from './pg-write-types.js';

export const SCHEMA_POLICIES = ['evolve', 'freeze', 'discard_columns'] as const;
export type SchemaPolicy = (typeof SCHEMA_POLICIES)[number];

export type ColumnPlan = {
  /** The dataset columns to load. */
  load: Column[];
  /** Dataset columns to add to the table (evolve). */
  add: Column[];
  /** Dataset columns left out (discard_columns). */
  discarded: string[];
  /** Table columns the dataset lacks (they get their default). */
  missing: string[];
};

/**
 * Decides what to load. `target` undefined: the table is created from the dataset (all load).
 * `extra`: table columns the sink fills itself (run_column), never "missing".
 */
export function planColumns(columns: Column[], target: Map<string, TargetColumn> | undefined, policy: SchemaPolicy, where: string, extra: string[] = []): ColumnPlan {
  if (!target) return { load: columns, add: [], discarded: [], missing: [] };
  const unknown = columns.filter((c) => !target.has(c.name));
  if (unknown.length && policy === 'freeze') {
    const list = unknown.map((c) => `${c.name} (${c.type})`).join(', ');
    throw new ConfigError(`${where}: the dataset has column${unknown.length > 1 ? 's' : ''} ${list} that the table lacks, and the sink has schema: freeze; nothing was written. Add ${unknown.length > 1 ? 'them' : 'it'} to the table, or set schema: evolve (add) or discard_columns (leave out)`, { field: 'schema' });
  }
  const known = columns.filter((c) => target.has(c.name));
  for (const c of known) {
    const t = target.get(c.name)!;
    if (!writable(c.type, t)) {
      throw new ConfigError(`${where}: column ${c.name} is ${c.type} in the dataset but ${t.type}${t.isArray ? ' (array)' : ''} in the table, which cannot hold every value of that type (the check is by type, not by the values); nothing was written. Cast it in a transform, or change the table's column type`, { field: c.name });
    }
  }
  const names = new Set(columns.map((c) => c.name));
  const missing = [...target.keys()].filter((n) => !names.has(n) && !extra.includes(n));
  return policy === 'discard_columns'
    ? { load: known, add: [], discarded: unknown.map((c) => c.name), missing }
    : { load: columns, add: unknown, discarded: [], missing };
}

/** Adds `add` to the table under the per-schema DDL lock (its own transaction). */
export async function addColumns(client: pg.PoolClient, ref: TableRef, add: Column[], where: string): Promise<void> {
  if (!add.length) return;
  const sql = `ALTER TABLE ${qualified(ref)} ${add.map((c) => `ADD COLUMN IF NOT EXISTS ${ident(c.name)} ${pgTypeOf(c.type)}`).join(', ')}`;
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`ferry ddl ${ref.schema}`]);
    await client.query(sql);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    if ((err as { code?: string }).code === '42501') {
      throw new ConfigError(`${where}: schema: evolve needs to add column(s) ${add.map((c) => c.name).join(', ')}, and the loader may not (${(err as Error).message}); run once as the table's owner: ${sql}; or set schema: discard_columns`, { field: 'schema' }, { cause: err });
    }
    throw err;
  }
}

/** What the detail says about columns (empty when nothing changed). */
export function columnNotes(plan: ColumnPlan): string {
  const notes = [
    plan.add.length ? `added column${plan.add.length > 1 ? 's' : ''} ${plan.add.map((c) => `${c.name} ${pgTypeOf(c.type)}`).join(', ')}` : '',
    plan.discarded.length ? `discarded column${plan.discarded.length > 1 ? 's' : ''} not in the table: ${plan.discarded.join(', ')}` : '',
    plan.missing.length ? `not in the dataset, left to the column default (NULL unless set): ${plan.missing.join(', ')}` : '',
  ].filter(Boolean);
  return notes.length ? `; ${notes.join('; ')}` : '';
}

const INT_BITS: Record<string, number> = { smallint: 16, integer: 32, bigint: 64 };
/** Bits a DuckDB integer needs as a signed PostgreSQL integer. */
const DUCK_INT_BITS: Record<string, number> = { TINYINT: 16, SMALLINT: 16, INTEGER: 32, BIGINT: 64, UTINYINT: 16, USMALLINT: 32, UINTEGER: 64, UBIGINT: 65, HUGEINT: 128, UHUGEINT: 129 };
/** Decimal digits of a DuckDB integer type. */
const DUCK_INT_DIGITS: Record<string, number> = { TINYINT: 3, SMALLINT: 5, INTEGER: 10, BIGINT: 19, UTINYINT: 3, USMALLINT: 5, UINTEGER: 10, UBIGINT: 20, HUGEINT: 39, UHUGEINT: 39 };
const TEXTUAL = /^(text|character varying|character|varchar|char|bpchar|citext|name|jsonb?)$/;

/**
 * Whether every value of DuckDB type `duck` can be written into a column of `target` (as the sink
 * renders it, see pg-write-types.ts). Text (VARCHAR) goes anywhere: PostgreSQL parses it per value. Types the sink does not know (enums, domains' bases it does
 * not list, inet…) are left to PostgreSQL, which names the row and column when a value fails.
 */
export function writable(duck: string, target: TargetColumn): boolean {
  const d = duck.trim().toUpperCase();
  const typed = target.type.replace(/\[\]$/, '');
  const numeric = /^numeric(?:\((\d+),(\d+)\))?$/.exec(typed);
  const t = typed.replace(/\(\d+(,\d+)?\)/, ''); // varchar(10), timestamp(3) without time zone
  if (TEXTUAL.test(t) && !target.isArray) return true; // text, json: anything has a text / JSON form
  const element = listElement(d);
  if (target.isArray) return element !== undefined || d === 'VARCHAR' || d === 'JSON';
  if (element !== undefined || /^(STRUCT|MAP|UNION)\(/.test(d)) return false;
  // Text is PostgreSQL's own input form: it parses each value, and one that does not parse fails the
  // load (rolled back) naming its row and column: text from a CSV into typed columns is the common case.
  if (d === 'VARCHAR' || d.startsWith('ENUM(')) return true;
  const decimal = /^DECIMAL\((\d+),\s*(\d+)\)$/.exec(d);
  if (t in INT_BITS) return (DUCK_INT_BITS[d] ?? Infinity) <= INT_BITS[t]! || (!!decimal && decimal[2] === '0' && Number(decimal[1]) <= digitsOf(INT_BITS[t]!));
  if (numeric) {
    if (!numeric[1]) return d in DUCK_INT_DIGITS || !!decimal || d === 'BIGNUM' || d === 'VARINT' || d === 'FLOAT' || d === 'DOUBLE';
    const [p, s] = [Number(numeric[1]), Number(numeric[2])];
    if (d in DUCK_INT_DIGITS) return DUCK_INT_DIGITS[d]! <= p - s;
    return !!decimal && Number(decimal[2]) <= s && Number(decimal[1]) - Number(decimal[2]) <= p - s;
  }
  if (t === 'double precision') return d in DUCK_INT_DIGITS || !!decimal || d === 'FLOAT' || d === 'DOUBLE';
  if (t === 'real') return d === 'FLOAT' || d === 'TINYINT' || d === 'SMALLINT' || d === 'UTINYINT';
  const same: Record<string, string[]> = {
    boolean: ['BOOLEAN'], uuid: ['UUID'], bytea: ['BLOB'], interval: ['INTERVAL'], date: ['DATE'],
    'time without time zone': ['TIME'], 'time with time zone': ['TIME', 'TIME WITH TIME ZONE'],
    'timestamp without time zone': ['TIMESTAMP', 'TIMESTAMP_S', 'TIMESTAMP_MS', 'TIMESTAMP_NS', 'DATE'],
    'timestamp with time zone': ['TIMESTAMP', 'TIMESTAMP_S', 'TIMESTAMP_MS', 'TIMESTAMP_NS', 'DATE', 'TIMESTAMP WITH TIME ZONE', 'TIMESTAMPTZ'],
    'bit varying': ['BIT'], bit: ['BIT'],
  };
  return same[t] ? same[t].includes(d) : true;
}

const digitsOf = (bits: number) => (bits === 16 ? 4 : bits === 32 ? 9 : 18);
