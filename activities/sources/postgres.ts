/**
 * `postgres` source: the rows of a query, with `$1…` parameters, streamed through a cursor in
 * batches from one consistent snapshot, in a READ ONLY transaction. Types are kept exactly (see the
 * table in src/connect/pg-read-types.ts): numeric never becomes a float, json/jsonb arrive as JSON
 * values, arrays as lists.
 *
 *   sources:
 *     products:
 *       type: postgres
 *       connection: warehouse
 *       query: SELECT * FROM retail.products WHERE active = $1
 *       params: [true]
 *
 * Failure semantics: the source writes nothing to PostgreSQL (a query that tries to is a CONFIG
 * error: read-only transaction; a statement that is not a query, INSERT … RETURNING, is told so),
 * so a retry simply runs the query again, on a new snapshot. Errors are classified by SQLSTATE
 * (src/connect/pg-errors.ts): a dropped connection or a server restart is TRANSIENT, a mistake in
 * the SQL is CONFIG, a missing table NOT_FOUND. A connection that dies mid-read fails the attempt,
 * never the worker. Cancellation: an aborted activity sends PostgreSQL a
 * cancel request for the running FETCH and stops between batches.
 */
import { join } from 'node:path';
import { z } from 'zod';
import type pg from 'pg';
import { adapterCommon } from '../../src/pipeline/retry.js';
import { incrementalSchema } from '../../src/pipeline/incremental.js';
import { withPgClient } from '../../src/connect/pg.js';
import { readPlan, unknownOids, READ_SESSION, type PgField, type PgTypeInfo, type ReadPlan } from '../../src/connect/pg-read-types.js';
import { ConfigError, type ErrorContext } from '../../src/errors.js';
import { writeNdjson, type Row } from '../../src/table/engine.js';
import type { SourceAdapter } from '../adapter.js';

const schema = z.strictObject({
  type: z.literal('postgres'),
  ...adapterCommon,
  connection: z.string().describe('name of a connection in config/connections.yaml'),
  query: z.string().min(1).describe('SQL with $1, $2… placeholders'),
  params: z.array(z.union([z.string(), z.number(), z.boolean(), z.null()])).default([]).describe('values for $1, $2…'),
  incremental: incrementalSchema.optional().describe('load only rows newer than the watermark (see Incremental loads)'),
  batch_size: z.number().int().positive().default(10_000).describe('rows fetched per round trip (memory stays bounded)'),
});

export type PostgresSourceSpec = z.infer<typeof schema>;

/** Every value comes back as PostgreSQL's own text; pg-read-types turns it into DuckDB's. */
const rawText = { getTypeParser: () => (value: string) => value };

export const postgresSource = {
  schema,
  connectionKind: 'postgres',
  async read(spec, ctx) {
    const file = join(ctx.workdir, `${ctx.dataset}.ndjson`);
    const context = { connection: spec.connection };
    const plan = await withPgClient(ctx.connection(spec.connection, 'postgres'), { context, signal: ctx.signal }, async (client) => {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      await client.query(READ_SESSION.join('; '));
      const declare = 'DECLARE ferry_cursor NO SCROLL CURSOR FOR ';
      const query = spec.query.trim().replace(/;+$/, '');
      await client.query({ text: `${declare}${query}`, values: spec.params }).catch((err: unknown) => {
        throw notAQuery(err, query, declare.length, context) ?? err;
      });
      let plan: ReadPlan | undefined;
      let rows = 0;
      async function* batches(): AsyncGenerator<Row[]> {
        for (;;) {
          ctx.signal.throwIfAborted();
          const result = await client.query<(string | null)[]>({ text: `FETCH ${spec.batch_size} FROM ferry_cursor`, types: rawText, rowMode: 'array' });
          plan ??= await planFor(client, result.fields);
          if (!result.rows.length) return;
          rows += result.rows.length;
          ctx.progress({ rows });
          yield result.rows.map(plan.encode);
        }
      }
      // A batch that throws (a dropped connection) ends the write; writeNdjson closes its file either way.
      const written = await writeNdjson(file, batches());
      await client.query('COMMIT');
      return { plan: plan!, written };
    });
    await ctx.table.run(plan.plan.loadSql(ctx.dataset, plan.written ? [file] : []));
    return { detail: `${spec.connection}: ${spec.query.replace(/\s+/g, ' ').slice(0, 80)}` };
  },
} satisfies SourceAdapter<PostgresSourceSpec>;

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

/** The read plan of a result: refuses duplicate names, looks up types it does not know in pg_type. */
async function planFor(client: pg.PoolClient, fields: PgField[]): Promise<ReadPlan> {
  assertDistinctNames(fields.map((f) => f.name));
  const unknown = unknownOids(fields);
  const lookup = new Map<number, PgTypeInfo>();
  if (unknown.length) {
    const found = await client.query<PgTypeInfo>('SELECT oid::int AS oid, typcategory AS category, typelem::int AS elem, typdelim AS delim FROM pg_type WHERE oid = ANY($1::oid[])', [unknown]);
    for (const t of found.rows) lookup.set(t.oid, t);
  }
  return readPlan(fields, lookup);
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
