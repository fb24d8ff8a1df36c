/**
 * `postgres` sink: loads a dataset into a table in one transaction, with COPY.
 * Modes: `append`, `upsert` (on `keys`), `replace` (truncate and load, atomically). The table is
 * created when missing (with a primary key on `keys`). Each load is recorded in `ferry_loads` in the
 * same transaction, so a retry after a commit whose acknowledgement was lost loads nothing twice.
 *
 *   sinks:
 *     warehouse:
 *       type: postgres
 *       connection: warehouse
 *       input: sales_final
 *       table: retail.sales_enriched
 *       mode: upsert
 *       keys: [sale_id]
 */
import { z } from 'zod';
import { adapterCommon } from '../../src/pipeline/retry.js';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import type { PoolClient } from 'pg';
import { pgPool, pgError } from '../../src/connect/pg.js';
import { ConfigError, DataError } from '../../src/errors.js';
import { ident, lit, type Column, type TableEngine } from '../../src/table/engine.js';
import type { SinkAdapter } from '../adapter.js';

const schema = z.strictObject({
  type: z.literal('postgres'),
  ...adapterCommon,
  connection: z.string().describe('name of a connection in config/connections.yaml'),
  input: z.string().describe('the dataset to deliver'),
  table: z.string().regex(/^[A-Za-z_][\w$]*(\.[A-Za-z_][\w$]*)?$/, 'expected table or schema.table'),
  mode: z.enum(['append', 'upsert', 'replace']).default('append').describe('replace truncates and loads in one transaction'),
  keys: z.array(z.string()).default([]).describe('key columns: required by upsert, the primary key of a created table'),
  create_table: z.boolean().default(true).describe('create the schema and table when missing'),
}).refine((s) => s.mode !== 'upsert' || s.keys.length > 0, { message: 'mode upsert needs keys: [column, …]', path: ['keys'] });

export type PostgresSinkSpec = z.infer<typeof schema>;

export const postgresSink = {
  schema,
  connectionKind: 'postgres',
  async write(spec, ctx) {
    const columns = await ctx.table.columns(ctx.dataset);
    const names = columns.map((c) => c.name);
    for (const key of spec.keys) {
      if (!names.includes(key)) throw new ConfigError(`key column '${key}' is not in dataset ${ctx.dataset} (columns: ${names.join(', ')})`, { dataset: ctx.dataset, field: 'keys' });
    }
    if (spec.mode === 'upsert') await assertUniqueKeys(ctx.table, ctx.dataset, spec.keys);

    // FORCE_QUOTE keeps '' and NULL apart: PostgreSQL reads an unquoted empty field as NULL.
    const csv = join(ctx.workdir, `${ctx.sink}.csv`);
    await ctx.table.run(`COPY (SELECT * FROM ${ident(ctx.dataset)}) TO ${lit(csv)} (FORMAT csv, HEADER false, FORCE_QUOTE *)`);

    const [schemaName, tableName] = spec.table.includes('.') ? spec.table.split('.') as [string, string] : ['public', spec.table];
    const target = `${ident(schemaName)}.${ident(tableName)}`;
    const client = await pgPool(ctx.connection(spec.connection, 'postgres')).connect().catch((err: unknown) => {
      throw pgError(err, { connection: spec.connection });
    });
    try {
      await client.query('BEGIN');
      if (spec.create_table) await client.query(`CREATE SCHEMA IF NOT EXISTS ${ident(schemaName)}`);
      await client.query(`CREATE TABLE IF NOT EXISTS ${ident(schemaName)}.ferry_loads (run_id text, sink text, target text, rows bigint, loaded_at timestamptz DEFAULT now(), PRIMARY KEY (run_id, sink))`);
      const done = await client.query('SELECT rows FROM ' + `${ident(schemaName)}.ferry_loads WHERE run_id = $1 AND sink = $2`, [ctx.runKey, ctx.sink]);
      if (done.rowCount) {
        await client.query('ROLLBACK');
        return { target: `postgres ${spec.table}`, rows: Number(done.rows[0].rows), detail: 'already loaded by an earlier attempt' };
      }
      if (spec.create_table) await createTableIfMissing(client, schemaName, tableName, columns, spec.mode === 'upsert' ? spec.keys : []);
      const cols = names.map(ident).join(', ');
      const copy = (into: string) => pipeline(createReadStream(csv), client.query(copyFrom(`COPY ${into} (${cols}) FROM STDIN WITH (FORMAT csv)`)));
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
      await client.query(`INSERT INTO ${ident(schemaName)}.ferry_loads (run_id, sink, target, rows) VALUES ($1, $2, $3, $4)`, [ctx.runKey, ctx.sink, spec.table, ctx.rows]);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      const e = pgError(err, { connection: spec.connection, dataset: ctx.dataset });
      if (/there is no unique or exclusion constraint/.test(e.message)) {
        throw new ConfigError(`table ${spec.table} has no unique index on (${spec.keys.join(', ')}), which upsert needs`, { connection: spec.connection, dataset: ctx.dataset });
      }
      throw e;
    } finally {
      client.release();
    }
    return { target: `postgres ${spec.table}`, rows: ctx.rows, detail: spec.mode };
  },
} satisfies SinkAdapter<PostgresSinkSpec>;

async function assertUniqueKeys(table: TableEngine, dataset: string, keys: string[]): Promise<void> {
  const k = keys.map(ident).join(', ');
  const dupes = await table.rows(`SELECT ${k}, count(*) AS n FROM ${ident(dataset)} GROUP BY ${k} HAVING count(*) > 1 LIMIT 3`);
  if (dupes.length) {
    const first = dupes[0]!;
    throw new DataError(`upsert keys must be unique, but (${keys.join(', ')}) = (${keys.map((c) => String(first[c])).join(', ')}) occurs ${first.n} times; add a dedupe step`, { dataset });
  }
}

async function createTableIfMissing(client: PoolClient, schemaName: string, tableName: string, columns: Column[], keys: string[]): Promise<void> {
  const defs = columns.map((c) => `${ident(c.name)} ${pgType(c.type)}`);
  if (keys.length) defs.push(`PRIMARY KEY (${keys.map(ident).join(', ')})`);
  await client.query(`CREATE TABLE IF NOT EXISTS ${ident(schemaName)}.${ident(tableName)} (${defs.join(', ')})`);
}

/** DuckDB column types → PostgreSQL column types. */
export function pgType(duck: string): string {
  const t = duck.toUpperCase();
  if (t.startsWith('DECIMAL')) return t.replace('DECIMAL', 'numeric');
  const map: Record<string, string> = {
    BIGINT: 'bigint', INTEGER: 'integer', SMALLINT: 'smallint', TINYINT: 'smallint', HUGEINT: 'numeric', UBIGINT: 'numeric', UINTEGER: 'bigint',
    DOUBLE: 'double precision', FLOAT: 'real', BOOLEAN: 'boolean', VARCHAR: 'text', DATE: 'date', TIME: 'time',
    TIMESTAMP: 'timestamp', 'TIMESTAMP WITH TIME ZONE': 'timestamptz', UUID: 'uuid', JSON: 'jsonb', BLOB: 'bytea',
  };
  return map[t] ?? 'text';
}
