/**
 * A query's rows from PostgreSQL into a DuckDB table with `COPY (…) TO STDOUT`: bytes stream from
 * the socket to a local CSV file and DuckDB loads the file; no row is ever a JavaScript object.
 *
 *   await copyRead(conn, { query, dataset: 'orders', table, workdir, signal, progress, context });
 *
 * In one READ ONLY REPEATABLE READ transaction: the query is declared as a cursor first (never
 * fetched: DECLARE accepts only a query, so a statement that writes is told so, and the cursor's
 * RowDescription gives the column types), then COPY runs the wrapped query (see copyPlan).
 *
 * Failure semantics: nothing is written to PostgreSQL; a retry reads again on a new snapshot and
 * overwrites the local file. A dropped connection fails the COPY stream and so the attempt
 * (TRANSIENT, via withPgClient), never the worker. An abort sends the server a cancel request for
 * the running COPY (withPgClient) and ends the stream.
 */
import { createWriteStream } from 'node:fs';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { withPgClient } from './pg.js';
import { copyPlan, unknownOids, READ_SESSION, type PgField, type PgTypeInfo, type CopyPlan } from './pg-read-types.js';
import type { PostgresConnection } from './connections.js';
import { ConfigError, type ErrorContext } from '../errors.js';
import type { TableEngine } from '../table/engine.js';

export type CopyReadOptions = {
  /** The query, parameters already inlined (pg-params.ts), without a trailing `;`. */
  query: string;
  /** The user's query inside `query` (a part's range wraps it): errors about it point at it. */
  user?: string;
  dataset: string;
  table: TableEngine;
  /** The CSV file to write (overwritten). */
  file: string;
  signal: AbortSignal;
  progress: (p: { rows?: number; note?: string }) => void;
  context: ErrorContext;
};

/** Every value comes back as PostgreSQL's own text. */
const rawText = { getTypeParser: () => (value: string) => value };

/** Progress at most every this many bytes. */
const PROGRESS_BYTES = 1 << 20;

export async function copyRead(conn: PostgresConnection, o: CopyReadOptions): Promise<{ rows: number; bytes: number }> {
  const { plan, bytes } = await withPgClient(conn, { context: o.context, signal: o.signal }, async (client) => {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    await client.query(READ_SESSION.join('; '));
    const plan = await describe(client, o.query, o.user ?? o.query, o.context);
    let bytes = 0;
    let reported = 0;
    const count = new Transform({
      transform(chunk: Buffer, _enc, done) {
        bytes += chunk.length;
        if (bytes - reported >= PROGRESS_BYTES) {
          reported = bytes;
          o.progress({ note: `COPY ${mb(bytes)} MB` });
        }
        done(null, chunk);
      },
    });
    o.signal.throwIfAborted();
    const stream = client.query(copyTo(`COPY (${plan.selectSql(o.query)}) TO STDOUT (FORMAT csv, FORCE_QUOTE *)`));
    await pipeline(stream, count, createWriteStream(o.file));
    await client.query('COMMIT');
    return { plan, bytes };
  });
  o.progress({ note: `loading ${mb(bytes)} MB` });
  const statsSql = bytes ? plan.statsSql(o.file) : undefined;
  const stats = plan.stats(statsSql ? (await o.table.rows(statsSql))[0] : undefined);
  await o.table.run(plan.loadSql(o.dataset, bytes ? o.file : undefined, stats));
  const rows = await o.table.count(o.dataset);
  o.progress({ rows });
  return { rows, bytes };
}

const mb = (bytes: number) => (bytes / 1e6).toFixed(1);

const DECLARE = 'DECLARE ferry_describe NO SCROLL CURSOR FOR ';

/** The query's columns: declared as a cursor (which runs nothing) and described by a FETCH 0. */
async function describe(client: pg.PoolClient, query: string, user: string, context: ErrorContext): Promise<CopyPlan> {
  await client.query(`${DECLARE}${query}`).catch((err: unknown) => {
    throw notAQuery(err, user, DECLARE.length + Math.max(0, query.indexOf(user)), context) ?? err;
  });
  const result = await client.query<(string | null)[]>({ text: 'FETCH 0 FROM ferry_describe', types: rawText, rowMode: 'array' });
  await client.query('CLOSE ferry_describe');
  const fields: PgField[] = result.fields;
  assertDistinctNames(fields.map((f) => f.name));
  const unknown = unknownOids(fields);
  const lookup = new Map<number, PgTypeInfo>();
  if (unknown.length) {
    const found = await client.query<PgTypeInfo>('SELECT oid::int AS oid, typcategory AS category, typelem::int AS elem, typdelim AS delim FROM pg_type WHERE oid = ANY($1::oid[])', [unknown]);
    for (const t of found.rows) lookup.set(t.oid, t);
  }
  return copyPlan(fields, lookup);
}

/**
 * A statement that writes, told as such: DECLARE accepts only a query, so INSERT … RETURNING is a
 * "syntax error at or near INSERT" (42601 at the query's first word) and a writing WITH a 0A000.
 */
export function notAQuery(err: unknown, query: string, offset: number, context: ErrorContext): ConfigError | undefined {
  const e = err as { code?: string; position?: string; message?: string };
  const where = { ...context, field: 'query' };
  if (e.code === '42601' && Number(e.position) === offset + 1) {
    const verb = /^\S+/.exec(query)?.[0]?.toUpperCase() ?? '';
    return new ConfigError(`a source only reads: its query must be a SELECT (or VALUES, TABLE, WITH … SELECT), not ${verb}`, where, { cause: err });
  }
  if (e.code === '0A000' && /data-modifying/.test(e.message ?? '')) {
    return new ConfigError(`a source only reads: its query must not modify data (INSERT, UPDATE or DELETE inside WITH); PostgreSQL: ${e.message}`, where, { cause: err });
  }
  return undefined;
}

/** A dataset's columns are named once each, ignoring case as DuckDB does (`id` and `ID` collide). */
export function assertDistinctNames(names: string[]): void {
  const seen = new Map<string, string>();
  const dupes = new Set<string>();
  for (const name of names) {
    const key = name.toLowerCase();
    if (seen.has(key)) dupes.add(seen.get(key) === name ? `"${name}"` : `"${seen.get(key)}" and "${name}"`);
    else seen.set(key, name);
  }
  if (dupes.size) {
    throw new ConfigError(`the query returns more than one column named ${[...dupes].join(', ')}: name each column once (SELECT a.id AS a_id, b.id AS b_id …)`, { field: 'query' });
  }
}
