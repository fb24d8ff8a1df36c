/**
 * `postgres` sink: loads a dataset into a table in one transaction, streaming it from DuckDB into
 * COPY (src/connect/pg-copy-stream.ts). Modes (src/connect/pg-sink-modes.ts): `append`; `replace`
 * (a new table swapped in, atomically; an empty input is refused unless `allow_empty: true`);
 * `upsert` on `keys` (with `modified_column`: only newer rows update); `merge` (delete the rows
 * whose `merge_keys` values occur in the dataset, then insert it: reload a day). The table is
 * created when missing (with a primary key on `keys`; types as in src/connect/pg-write-types.ts);
 * columns evolve per `schema` (src/connect/pg-schema-evolution.ts).
 *
 *   sinks:
 *     warehouse:
 *       type: postgres
 *       connection: warehouse
 *       input: sales_final
 *       table: retail.sales_enriched
 *       mode: upsert
 *       keys: [sale_id]
 *       modified_column: updated_at
 *       schema: evolve
 *
 * Failure semantics — exactly once per execution of a logical run: the load transaction first
 * claims (run key, sink) in `<schema>.ferry_loads` (src/connect/pg-loads.ts), then loads, then
 * commits both together. A retry after a commit whose acknowledgement was lost, a `ferry retry`, or
 * an attempt presumed dead that is still loading while its retry starts: the second claim waits for
 * the first transaction and, once it committed, loads nothing and reports "already loaded by an
 * earlier attempt"; if it rolled back, the second loads everything.
 *
 * Running the same logical run AGAIN (a new execution of the same workflow id: `ferry run --date D`
 * twice, a backfill of a day that ran) delivers the new data, per mode:
 * - `replace`, `upsert`, `merge`: load again (idempotent): the table ends with the new data.
 * - `append` with `run_column: <column>`: every row is stamped with the run key in that column
 *   (text; created with the table, with an index); a run that runs again deletes that run's earlier
 *   rows and appends the new ones in the same transaction. The earlier load must be whole (as many
 *   stamped rows as it recorded), else nothing is changed and the error says so.
 * - `append` without it: nothing is loaded; the detail says "skipped: …" and how to reload.
 * An execution that started before the one whose load it finds never overwrites it. Nothing is ever half-written: a failure
 * (a dropped connection included) rolls the whole load back, and the retry repeats it from the start.
 * Catalog first: no CREATE is issued for what exists, so a loader with only USAGE on the schema and
 * INSERT/SELECT on the tables can load; DDL for what is missing runs under an advisory lock per
 * schema, so sinks creating the same new schema in parallel do not collide. Errors name the sink,
 * the table, and the row and column or constraint PostgreSQL reported; schema conflicts (a column
 * the table lacks under `freeze`, a type that cannot be written) are found before anything is
 * written. Added columns (`evolve`) commit on their own, like a created table. Cancellation: an aborted
 * activity sends a cancel request for the running statement (the transaction rolls back).
 */
import { z } from 'zod';
import { join } from 'node:path';
import type pg from 'pg';
import { adapterCommon } from '../../src/pipeline/retry.js';
import { withPgClient } from '../../src/connect/pg.js';
import { ensureTargets, qualified, type TableRef } from '../../src/connect/pg-catalog.js';
import { claimLoad } from '../../src/connect/pg-loads.js';
import { pgTypeOf, renderSql, type TargetColumn } from '../../src/connect/pg-write-types.js';
import { copyQuery } from '../../src/connect/pg-copy-stream.js';
import { loadMode, type ModeOptions } from '../../src/connect/pg-sink-modes.js';
import { addColumns, columnNotes, planColumns, SCHEMA_POLICIES } from '../../src/connect/pg-schema-evolution.js';
import { ConfigError, DataError } from '../../src/errors.js';
import { ident, lit, type Column, type TableEngine } from '../../src/table/engine.js';
import type { SinkAdapter, SinkContext } from '../adapter.js';

const column = z.string().regex(/^[A-Za-z_][\w$]*$/, 'expected a column name');

const schema = z.strictObject({
  type: z.literal('postgres'),
  ...adapterCommon,
  connection: z.string().describe('name of a connection in config/connections.yaml'),
  input: z.string().describe('the dataset to deliver'),
  table: z.string().regex(/^[A-Za-z_][\w$]*(\.[A-Za-z_][\w$]*)?$/, 'expected table or schema.table (letters, digits, _ and $, without quotes)')
    .describe('schema.table (public when no schema); names are used exactly as written, case included: Orders is the table "Orders", not orders'),
  mode: z.enum(['append', 'upsert', 'replace', 'merge']).default('append')
    .describe('append: add the rows; replace: load a new table and swap it in, in one transaction; upsert: insert or update by keys; merge: delete the rows whose merge_keys values occur in the dataset, then insert it (e.g. reload a day)'),
  keys: z.array(z.string()).default([]).describe('key columns: required by upsert, the primary key of a created table; merge uses them when merge_keys is not set'),
  modified_column: column.optional()
    .describe('mode upsert: a row is updated only when the incoming value of this column is newer than the table\'s (equal: kept; an incoming NULL never overwrites; a NULL in the table is overwritten)'),
  merge_keys: z.array(column).optional().describe('mode merge: the columns whose values select the rows to delete and reload (default: keys), e.g. [day]; NULL matches NULL'),
  schema: z.enum(SCHEMA_POLICIES).default('evolve')
    .describe('a dataset column the table lacks: evolve adds it (ALTER TABLE ADD COLUMN), freeze fails naming it before anything is written, discard_columns leaves it out of the load'),
  create_table: z.boolean().default(true).describe('create the schema and table when missing'),
  allow_empty: z.boolean().optional().describe('mode replace: let an empty input empty the table (refused unless true)'),
  run_column: column.optional()
    .describe('mode append: stamp each row with the run key in this text column; running the same logical run again replaces that run\'s rows (see docs/run-dates.md)'),
}).refine((s) => s.mode !== 'upsert' || s.keys.length > 0, { message: 'mode upsert needs keys: [column, …]', path: ['keys'] })
  .refine((s) => s.mode !== 'merge' || (s.merge_keys ?? s.keys).length > 0, { message: 'mode merge needs merge_keys: [column, …] (or keys)', path: ['merge_keys'] })
  .refine((s) => !s.modified_column || s.mode === 'upsert', { message: 'modified_column is for mode upsert', path: ['modified_column'] })
  .refine((s) => !s.merge_keys || s.mode === 'merge', { message: 'merge_keys is for mode merge', path: ['merge_keys'] })
  .refine((s) => !s.run_column || s.mode === 'append', { message: 'run_column is for mode append (replace, upsert and merge load a run again by themselves)', path: ['run_column'] });

export type PostgresSinkSpec = z.infer<typeof schema>;

/** Table privileges each mode needs (besides USAGE on the schema and SELECT, INSERT on ferry_loads). */
const PRIVILEGES = { append: 'INSERT', upsert: 'SELECT, INSERT, UPDATE', replace: 'INSERT, TRUNCATE (the swap: ownership and CREATE on the schema)', merge: 'SELECT, INSERT, DELETE' } as const;

export const postgresSink = {
  schema,
  connectionKind: 'postgres',
  async write(spec, ctx) {
    const columns = await ctx.table.columns(ctx.dataset);
    const names = columns.map((c) => c.name);
    const mergeKeys = spec.mode === 'merge' ? spec.merge_keys ?? spec.keys : [];
    const needed: [string, string[]][] = [['keys', spec.keys], ['merge_keys', mergeKeys], ['modified_column', spec.modified_column ? [spec.modified_column] : []]];
    for (const [field, list] of needed) {
      for (const key of list) {
        if (!names.includes(key)) throw new ConfigError(`${field} column '${key}' is not in dataset ${ctx.dataset} (columns: ${names.join(', ')})`, { dataset: ctx.dataset, field });
      }
    }
    const rows = await ctx.table.count(ctx.dataset);
    if (spec.mode === 'replace' && rows === 0 && !spec.allow_empty) {
      throw new DataError(`sink ${ctx.sink}: dataset ${ctx.dataset} is empty, and mode replace would empty table ${spec.table}; set allow_empty: true if that is intended`, { dataset: ctx.dataset });
    }
    if (spec.mode === 'upsert') await assertUniqueKeys(ctx.table, ctx.dataset, spec.keys);
    const stamp = spec.run_column;
    if (stamp && names.some((n) => n.toLowerCase() === stamp.toLowerCase())) {
      throw new ConfigError(`run_column '${stamp}' is already a column of dataset ${ctx.dataset}: name a column the sink can fill with the run key`, { dataset: ctx.dataset, field: 'run_column' });
    }

    const [schemaName, tableName] = spec.table.includes('.') ? spec.table.split('.') as [string, string] : ['public', spec.table];
    const ref: TableRef = { schema: schemaName, table: tableName };
    const where = `sink ${ctx.sink}, table ${spec.table}`;
    const context = { connection: spec.connection, dataset: ctx.dataset };
    const createTable = spec.create_table ? createTableSql(ref, columns, spec.mode === 'upsert' ? spec.keys : [], stamp) : undefined;

    return withPgClient(ctx.connection(spec.connection, 'postgres'), { context, where, signal: ctx.signal }, async (client) => {
      const catalog = await ensureTargets(client, ref, createTable, PRIVILEGES[spec.mode] + (stamp ? ', SELECT, DELETE' : ''));
      if (stamp && !catalog.columns?.has(stamp)) {
        throw new ConfigError(`${where}: the table has no column ${stamp} for run_column; add it once: ALTER TABLE ${qualified(ref)} ADD COLUMN ${ident(stamp)} text`, { ...context, field: 'run_column' });
      }
      // Schema first, before anything is written: conflicts fail here; evolve adds columns (own transaction).
      const plan = planColumns(columns, catalog.columns, spec.schema, where, stamp ? [stamp] : []);
      for (const key of [...spec.keys, ...mergeKeys, ...(spec.modified_column ? [spec.modified_column] : [])]) {
        if (plan.discarded.includes(key)) throw new ConfigError(`${where}: column ${key} is one of the sink's keys but not a column of the table`, { ...context, field: 'keys' });
      }
      await addColumns(client, ref, plan.add, where);
      const target = new Map(catalog.columns);
      for (const c of plan.add) target.set(c.name, { type: pgTypeOf(c.type), isArray: pgTypeOf(c.type).endsWith('[]') });
      const load = plan.load;
      const merge = mergeKeys.length ? await mergeValues(ctx.table, ctx.dataset, columns.filter((c) => mergeKeys.includes(c.name)), target) : undefined;

      await client.query('BEGIN');
      await client.query("SET LOCAL TimeZone = 'UTC'"); // a TIMESTAMP into a timestamptz column is UTC, whatever the server's zone
      const claim = await claimLoad(client, {
        schema: ref.schema, runKey: ctx.runKey, sink: ctx.sink, target: spec.table, rows, generation: ctx.generation ?? '', runStartedAt: ctx.runStartedAt,
        reloads: spec.mode !== 'append' || !!stamp, ledgerExecution: catalog.loadsExecution,
      });
      if (!claim.load) return { target: `postgres ${spec.table}`, rows: claim.rows, detail: claim.detail };
      if (claim.replaced && stamp) await deleteRunRows(client, ref, stamp, ctx.runKey, claim.replaced.rows, where);
      const copyNames = [...load.map((c) => c.name), ...(stamp ? [stamp] : [])];
      const mode: ModeOptions = { mode: spec.mode, ref, names: copyNames, keys: spec.keys, modifiedColumn: spec.modified_column, mergeKeys: merge, where };
      const notes = await loadMode(client, mode, (into, options) => copyDataset(client, ctx, load, target, into, copyNames, options, stamp)).catch((err: unknown) => {
        if (/there is no unique or exclusion constraint/.test((err as Error).message)) {
          throw new ConfigError(`${where}: the table has no unique index on (${spec.keys.join(', ')}), which upsert needs`, context, { cause: err });
        }
        throw err;
      });
      await client.query('COMMIT');
      const again = claim.replaced && (stamp ? `, replacing the ${claim.replaced.rows} rows an earlier run of this logical run loaded at ${claim.replaced.loadedAt}` : ` again (an earlier run of this logical run loaded it at ${claim.replaced.loadedAt})`);
      return { target: `postgres ${spec.table}`, rows, detail: `${spec.mode}${again || ''}${notes}${columnNotes(plan)}` };
    });
  },
} satisfies SinkAdapter<PostgresSinkSpec>;

/**
 * Streams the dataset into `into`, rendered as text PostgreSQL's COPY parses into the target's
 * columns (see pg-write-types.ts). NULL is an unquoted empty field; DuckDB's CSV writer already
 * quotes an empty string ("") and any value with a comma, quote or line break, so '' stays apart
 * from NULL without FORCE_QUOTE (which doubled the cost of rendering 1M rows). The one value it
 * leaves bare that PostgreSQL reads differently is `\.` alone on a line (the end-of-data marker):
 * only possible with a single column, which is then quoted always.
 */
function copyDataset(client: pg.PoolClient, ctx: SinkContext, columns: Column[], target: Map<string, TargetColumn>, into: string, names: string[], options: string | undefined, stamp?: string): Promise<void> {
  const select = [
    ...columns.map((c, i) => `${renderSql(ident(c.name), c.type, target.get(c.name))} AS c${i}`),
    ...(stamp ? [`${lit(ctx.runKey)} AS run_stamp`] : []),
  ];
  const quote = select.length > 1 ? [] : [...columns.flatMap((c, i) => (plainText(c.type) ? [] : [`c${i}`])), ...(stamp ? ['run_stamp'] : [])];
  return copyQuery(client, ctx.table, {
    select: `SELECT ${select.join(', ') || '*'} FROM ${ident(ctx.dataset)}`,
    quote,
    copy: `COPY ${into} (${names.map(ident).join(', ')}) FROM STDIN WITH (FORMAT csv${options ? `, ${options}` : ''})`,
    fifo: join(ctx.workdir, `${ctx.sink}.copy.pipe`),
    progress: ctx.progress,
  });
}

/** Types whose text is never empty nor `\.`: a lone column of them needs no quotes. */
const plainText = (duck: string) => /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|U(TINY|SMALL|BIG|HUGE)?INT(EGER)?|DECIMAL\(.*\)|FLOAT|DOUBLE|BOOLEAN|DATE|TIMESTAMP.*|TIME|UUID)$/i.test(duck.trim());

/** The distinct merge-key tuples of the dataset, rendered as text for the target's columns. */
async function mergeValues(table: TableEngine, dataset: string, keys: Column[], target: Map<string, TargetColumn>): Promise<NonNullable<ModeOptions['mergeKeys']>> {
  const select = keys.map((c, i) => `${renderSql(ident(c.name), c.type, target.get(c.name))} AS k${i}`).join(', ');
  const found = await table.rows(`SELECT DISTINCT ${select} FROM ${ident(dataset)}`);
  return {
    columns: keys.map((c) => c.name),
    types: keys.map((c) => target.get(c.name)!.type),
    values: found.map((r) => keys.map((_, i) => (r[`k${i}`] === null ? null : String(r[`k${i}`])))),
  };
}
async function assertUniqueKeys(table: TableEngine, dataset: string, keys: string[]): Promise<void> {
  const k = keys.map(ident).join(', ');
  const dupes = await table.rows(`SELECT ${k}, count(*) AS n FROM ${ident(dataset)} GROUP BY ${k} HAVING count(*) > 1 LIMIT 3`);
  if (dupes.length) {
    const first = dupes[0]!;
    throw new DataError(`upsert keys must be unique, but (${keys.join(', ')}) = (${keys.map((c) => String(first[c])).join(', ')}) occurs ${first.n} times; add a dedupe step`, { dataset });
  }
}

function createTableSql(ref: TableRef, columns: Column[], keys: string[], stamp?: string): string {
  const defs = columns.map((c) => `${ident(c.name)} ${pgTypeOf(c.type)}`);
  if (stamp) defs.push(`${ident(stamp)} text`);
  if (keys.length) defs.push(`PRIMARY KEY (${keys.map(ident).join(', ')})`);
  const create = `CREATE TABLE IF NOT EXISTS ${qualified(ref)} (${defs.join(', ')})`;
  // A run's rows are found by their stamp when the run is loaded again.
  return stamp ? `${create}; CREATE INDEX ON ${qualified(ref)} (${ident(stamp)})` : create;
}

/**
 * Deletes the rows an earlier run of this logical run appended (by their stamp), in the load's
 * transaction. Fewer or more than that load recorded (it was made before run_column was set, or
 * rows were changed since): nothing is changed, and the error says what to do.
 */
async function deleteRunRows(client: pg.PoolClient, ref: TableRef, stamp: string, runKey: string, expected: number, where: string): Promise<void> {
  const deleted = (await client.query(`DELETE FROM ${qualified(ref)} WHERE ${ident(stamp)} = $1`, [runKey])).rowCount ?? 0;
  if (deleted !== expected) {
    throw new DataError(`${where}: the earlier load of run ${runKey} recorded ${expected} rows, but ${deleted} rows have ${stamp} = '${runKey}' (loaded before run_column was set, or changed since); nothing was changed: delete that run's rows and its row in ${ref.schema}.ferry_loads by hand to load it again`, { field: 'run_column' });
  }
}
