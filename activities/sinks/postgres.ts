/**
 * `postgres` sink: loads a dataset into a table in one transaction, with COPY.
 * Modes: `append`, `upsert` (on `keys`), `replace` (truncate and load, atomically; an empty input
 * is refused unless `allow_empty: true`). The table is created when missing (with a primary key on
 * `keys`; types as in src/connect/pg-write-types.ts).
 *
 *   sinks:
 *     warehouse:
 *       type: postgres
 *       connection: warehouse
 *       input: sales_final
 *       table: retail.sales_enriched
 *       mode: upsert
 *       keys: [sale_id]
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
 * - `replace`, `upsert`: load again (both are idempotent): the table ends with the new data.
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
 * the table, and the row and column or constraint PostgreSQL reported. Cancellation: an aborted
 * activity sends a cancel request for the running statement (the transaction rolls back).
 */
import { z } from 'zod';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import type pg from 'pg';
import { adapterCommon } from '../../src/pipeline/retry.js';
import { withPgClient } from '../../src/connect/pg.js';
import { ensureTargets, qualified, type Catalog, type TableRef } from '../../src/connect/pg-catalog.js';
import { claimLoad } from '../../src/connect/pg-loads.js';
import { pgTypeOf, renderSql } from '../../src/connect/pg-write-types.js';
import { ConfigError, DataError } from '../../src/errors.js';
import { ident, lit, type Column, type TableEngine } from '../../src/table/engine.js';
import type { SinkAdapter, SinkContext } from '../adapter.js';

const schema = z.strictObject({
  type: z.literal('postgres'),
  ...adapterCommon,
  connection: z.string().describe('name of a connection in config/connections.yaml'),
  input: z.string().describe('the dataset to deliver'),
  table: z.string().regex(/^[A-Za-z_][\w$]*(\.[A-Za-z_][\w$]*)?$/, 'expected table or schema.table'),
  mode: z.enum(['append', 'upsert', 'replace']).default('append').describe('replace truncates and loads in one transaction'),
  keys: z.array(z.string()).default([]).describe('key columns: required by upsert, the primary key of a created table'),
  create_table: z.boolean().default(true).describe('create the schema and table when missing'),
  allow_empty: z.boolean().optional().describe('mode replace: let an empty input empty the table (refused unless true)'),
  run_column: z.string().regex(/^[A-Za-z_][\w$]*$/, 'expected a column name').optional()
    .describe('mode append: stamp each row with the run key in this text column; running the same logical run again replaces that run\'s rows (see docs/run-dates.md)'),
}).refine((s) => s.mode !== 'upsert' || s.keys.length > 0, { message: 'mode upsert needs keys: [column, …]', path: ['keys'] })
  .refine((s) => !s.run_column || s.mode === 'append', { message: 'run_column is for mode append (replace and upsert load a run again by themselves)', path: ['run_column'] });

export type PostgresSinkSpec = z.infer<typeof schema>;

/** Table privileges each mode needs (besides USAGE on the schema and SELECT, INSERT on ferry_loads). */
const PRIVILEGES = { append: 'INSERT', upsert: 'SELECT, INSERT, UPDATE', replace: 'INSERT, TRUNCATE' } as const;

export const postgresSink = {
  schema,
  connectionKind: 'postgres',
  async write(spec, ctx) {
    const columns = await ctx.table.columns(ctx.dataset);
    const names = columns.map((c) => c.name);
    for (const key of spec.keys) {
      if (!names.includes(key)) throw new ConfigError(`key column '${key}' is not in dataset ${ctx.dataset} (columns: ${names.join(', ')})`, { dataset: ctx.dataset, field: 'keys' });
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
      const csv = await exportCsv(ctx, columns, catalog, stamp);
      await client.query('BEGIN');
      await client.query("SET LOCAL TimeZone = 'UTC'"); // a TIMESTAMP into a timestamptz column is UTC, whatever the server's zone
      const claim = await claimLoad(client, {
        schema: ref.schema, runKey: ctx.runKey, sink: ctx.sink, target: spec.table, rows, generation: ctx.generation ?? '', runStartedAt: ctx.runStartedAt,
        reloads: spec.mode !== 'append' || !!stamp, ledgerExecution: catalog.loadsExecution,
      });
      if (!claim.load) return { target: `postgres ${spec.table}`, rows: claim.rows, detail: claim.detail };
      if (claim.replaced && stamp) await deleteRunRows(client, ref, stamp, ctx.runKey, claim.replaced.rows, where);
      await load(client, spec, ref, stamp ? [...names, stamp] : names, csv, ctx.progress).catch((err: unknown) => {
        if (/there is no unique or exclusion constraint/.test((err as Error).message)) {
          throw new ConfigError(`${where}: the table has no unique index on (${spec.keys.join(', ')}), which upsert needs`, context, { cause: err });
        }
        throw err;
      });
      await client.query('COMMIT');
      const again = claim.replaced && (stamp ? `, replacing the ${claim.replaced.rows} rows an earlier run of this logical run loaded at ${claim.replaced.loadedAt}` : ` again (an earlier run of this logical run loaded it at ${claim.replaced.loadedAt})`);
      return { target: `postgres ${spec.table}`, rows, detail: `${spec.mode}${again || ''}` };
    });
  },
} satisfies SinkAdapter<PostgresSinkSpec>;

async function load(client: pg.PoolClient, spec: PostgresSinkSpec, ref: TableRef, names: string[], csv: string, progress: SinkContext['progress']): Promise<void> {
  const target = qualified(ref);
  const cols = names.map(ident).join(', ');
  const size = (await stat(csv)).size;
  const copy = (into: string) => pipeline(createReadStream(csv), copyProgress(size, progress), client.query(copyFrom(`COPY ${into} (${cols}) FROM STDIN WITH (FORMAT csv)`)));
  if (spec.mode === 'upsert') {
    // Upsert goes through a temp table; append and replace COPY straight into the target.
    await client.query(`CREATE TEMP TABLE ferry_stage ON COMMIT DROP AS SELECT ${cols} FROM ${target} WITH NO DATA`);
    await copy('ferry_stage');
    const updates = names.filter((n) => !spec.keys.includes(n)).map((n) => `${ident(n)} = EXCLUDED.${ident(n)}`);
    await client.query(`INSERT INTO ${target} (${cols}) SELECT ${cols} FROM ferry_stage ON CONFLICT (${spec.keys.map(ident).join(', ')}) DO ${updates.length ? `UPDATE SET ${updates.join(', ')}` : 'NOTHING'}`);
  } else {
    if (spec.mode === 'replace') await client.query(`TRUNCATE ${target}`);
    await copy(target);
  }
}

/** Reports how much of the CSV went to PostgreSQL (every 8 MB): a long COPY shows progress, not silence. */
function copyProgress(size: number, progress: SinkContext['progress']): Transform {
  const mb = (n: number) => (n / 1e6).toFixed(1);
  let sent = 0;
  let reported = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      sent += chunk.length;
      if (sent - reported >= 8_000_000) {
        reported = sent;
        progress({ note: `COPY ${mb(sent)} of ${mb(size)} MB` });
      }
      done(null, chunk);
    },
  });
}

/**
 * The dataset as CSV in the form PostgreSQL's COPY parses into the target's columns (see
 * pg-write-types.ts). FORCE_QUOTE keeps '' and NULL apart: PostgreSQL reads an unquoted empty field as NULL.
 */
async function exportCsv(ctx: SinkContext, columns: Column[], catalog: Catalog, stamp?: string): Promise<string> {
  const csv = join(ctx.workdir, `${ctx.sink}.csv`);
  const select = [
    ...columns.map((c, i) => `${renderSql(ident(c.name), c.type, catalog.columns?.get(c.name))} AS c${i}`),
    ...(stamp ? [`${lit(ctx.runKey)} AS run_stamp`] : []),
  ].join(', ');
  await ctx.table.run(`COPY (SELECT ${select || '*'} FROM ${ident(ctx.dataset)}) TO ${lit(csv)} (FORMAT csv, HEADER false, FORCE_QUOTE *)`);
  return csv;
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
