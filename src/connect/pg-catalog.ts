/**
 * What the postgres sink needs to exist — the schema, the target table, the `ferry_loads` record
 * table — looked up in the catalog first, and created only when missing. So a least-privilege
 * loader (USAGE on the schema, INSERT/SELECT on existing tables) never issues a CREATE, and sinks
 * that create objects in the same new schema at the same moment do it one after the other.
 *
 *   const found = await ensureTargets(client, { schema: 'retail', table: 'sales' }, 'CREATE TABLE …');
 *   found.columns.get('amount');   // { type: 'numeric', isArray: false }
 */
import type pg from 'pg';
import { ConfigError, NotFoundError } from '../errors.js';
import { ident, lit } from '../table/engine.js';
import { isCatalogRace } from './pg-errors.js';
import type { TargetColumn } from './pg-write-types.js';

export type TableRef = { schema: string; table: string };

export type Catalog = {
  user: string;
  schema: boolean;
  loads: boolean;
  /**
   * ferry_loads records which execution loaded and when it started (its `execution` and
   * `started_at` columns, added in place by its owner). Without it a sink cannot tell an earlier attempt from an earlier run of the same
   * logical run, and treats every earlier load as an attempt's.
   */
  loadsExecution: boolean;
  /** ferry_loads lacks `execution` and the loader owns it: ensureTargets adds the column. */
  loadsUpgradable?: boolean;
  /** The target's columns by name; undefined when the table does not exist. */
  columns?: Map<string, TargetColumn>;
};

export const qualified = (ref: TableRef): string => `${ident(ref.schema)}.${ident(ref.table)}`;
export const loadsTable = (schema: string): string => `${ident(schema)}.ferry_loads`;

/**
 * One row per (logical run, sink): its last load, the execution that did it and when that
 * execution started (a retry of it loads nothing again; a newer run of the same logical run may
 * replace it, an older one never: src/connect/pg-loads.ts).
 */
export const loadsDdl = (schema: string): string =>
  `CREATE TABLE IF NOT EXISTS ${loadsTable(schema)} (run_id text NOT NULL, sink text NOT NULL, target text, rows bigint, loaded_at timestamptz NOT NULL DEFAULT now(), execution text, started_at timestamptz, PRIMARY KEY (run_id, sink))`;

/** Ledgers created before these columns get them from their owner, in place (nullable: instant). */
export const loadsExecutionDdl = (schema: string): string =>
  `ALTER TABLE ${loadsTable(schema)} ADD COLUMN IF NOT EXISTS execution text, ADD COLUMN IF NOT EXISTS started_at timestamptz`;

/** Reads the catalog (pg_catalog needs no privilege, unlike to_regclass on a schema without USAGE). */
export async function inspect(client: pg.PoolClient, ref: TableRef): Promise<Catalog> {
  const relation = `SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p', 'f', 'v')`;
  const ledger = `FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = 'ferry_loads' AND c.relkind IN ('r', 'p')`;
  const head = await client.query<{ user: string; schema: boolean; table: boolean; loads: boolean; loads_execution: boolean; loads_owned: boolean }>(
    `SELECT current_user AS user, EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1) AS schema,
       EXISTS (${relation}) AS table, EXISTS (${relation.replace('$2', "'ferry_loads'")}) AS loads,
       EXISTS (SELECT 1 ${ledger} AND (SELECT count(*) FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname IN ('execution', 'started_at') AND NOT a.attisdropped) = 2) AS loads_execution,
       EXISTS (SELECT 1 ${ledger} AND pg_has_role(current_user, c.relowner, 'USAGE')) AS loads_owned`,
    [ref.schema, ref.table],
  );
  const { user, schema, table, loads, loads_execution: loadsExecution, loads_owned: loadsOwned } = head.rows[0]!;
  // An old ledger its owner can extend counts as missing; one the loader does not own stays as it is.
  const found = { user, schema, loads, loadsExecution, loadsUpgradable: loads && !loadsExecution && loadsOwned };
  if (!table) return found;
  const cols = await client.query<{ name: string; type: string; is_array: boolean }>(
    `SELECT a.attname AS name, format_type(b.oid, CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE a.atttypmod END) AS type, b.typcategory = 'A' AS is_array
       FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_type t ON t.oid = a.atttypid JOIN pg_type b ON b.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
      WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
    [ref.schema, ref.table],
  );
  return { ...found, columns: new Map(cols.rows.map((c) => [c.name, { type: c.type, isArray: c.is_array }])) };
}

/**
 * Makes sure the schema, the target table (when `createTable` is given) and ferry_loads exist,
 * issuing DDL only for what is missing. DDL runs in its own short transaction under an advisory
 * lock per schema, so concurrent Ferry sinks never race on the catalog; a race with anyone else
 * (a unique violation on pg_namespace / pg_type) is retried after looking again.
 */
export async function ensureTargets(client: pg.PoolClient, ref: TableRef, createTable: string | undefined, privileges: string): Promise<Catalog> {
  let found = await inspect(client, ref);
  if (!found.columns && !createTable) throw new NotFoundError(`table ${ref.schema}.${ref.table} does not exist (and create_table is false)`);
  const ready = () => found.schema && found.loads && !found.loadsUpgradable && found.columns !== undefined;
  for (let attempt = 1; !ready(); attempt++) {
    // Still missing after creating it: another kind of relation (a view, a sequence) holds the name.
    if (attempt > 3) throw new ConfigError(`could not create ${ref.schema}.${ref.table} or ${ref.schema}.ferry_loads: is the name taken by another kind of relation?`);
    const statements: string[] = [];
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`ferry ddl ${ref.schema}`]);
      found = await inspect(client, ref); // another sink may have created it while we waited
      if (!found.schema) statements.push(`CREATE SCHEMA IF NOT EXISTS ${ident(ref.schema)}`);
      if (!found.columns) statements.push(createTable!);
      if (!found.loads) statements.push(loadsDdl(ref.schema));
      else if (found.loadsUpgradable) statements.push(loadsExecutionDdl(ref.schema));
      for (const sql of statements) await client.query(sql);
      await client.query('COMMIT');
      found = await inspect(client, ref);
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      if (isCatalogRace(err) && attempt < 3) {
        found = await inspect(client, ref);
        continue;
      }
      if ((err as { code?: string }).code === '42501') throw missingGrants(ref, found.user, statements, privileges, err);
      throw err;
    }
  }
  return found;
}

/** The DDL a privileged role must run once, when the loader may not create what is missing. */
function missingGrants(ref: TableRef, user: string, statements: string[], privileges: string, cause: unknown): ConfigError {
  const grants = [
    ...(statements.some((s) => s.startsWith('CREATE SCHEMA')) ? [`GRANT USAGE ON SCHEMA ${ident(ref.schema)} TO ${ident(user)}`] : []),
    ...(statements.some((s) => s.startsWith(`CREATE TABLE IF NOT EXISTS ${qualified(ref)}`)) ? [`GRANT ${privileges} ON ${qualified(ref)} TO ${ident(user)}`] : []),
    ...(statements.some((s) => s.includes('ferry_loads')) ? [`GRANT SELECT, INSERT ON ${loadsTable(ref.schema)} TO ${ident(user)}`] : []),
  ];
  const script = [...statements, ...grants].map((s) => `${s};`).join(' ');
  return new ConfigError(
    `role ${lit(user)} may not create what the sink needs in schema ${ref.schema} (${(cause as Error).message}); run once as the schema's owner: ${script}`,
    {},
    { cause },
  );
}
