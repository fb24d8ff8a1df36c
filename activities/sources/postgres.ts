/**
 * `postgres` source: the rows of a query, with `$1…` parameters, copied with `COPY (…) TO STDOUT`
 * into a local file and loaded by DuckDB (no row objects in the JavaScript heap), from one
 * consistent snapshot in a READ ONLY transaction. Types are kept exactly (see the table in
 * src/connect/pg-read-types.ts): numeric never becomes a float, json/jsonb arrive as JSON values,
 * arrays as lists. `partition:` splits the read into ranges of a column, one activity each
 * (src/connect/pg-partitions.ts; the workflow fans out and stages them as one dataset).
 *
 *   sources:
 *     products:
 *       type: postgres
 *       connection: warehouse
 *       query: SELECT * FROM retail.products WHERE active = $1
 *       params: [true]
 *     orders:
 *       type: postgres
 *       connection: warehouse
 *       query: SELECT * FROM retail.orders
 *       partition: { column: id, count: 8, concurrency: 4 }
 *
 * Failure semantics: the source writes nothing to PostgreSQL (a query that tries to is a CONFIG
 * error: read-only transaction; a statement that is not a query, INSERT … RETURNING, is told so),
 * so a retry simply runs the query again, on a new snapshot. Errors are classified by SQLSTATE
 * (src/connect/pg-errors.ts): a dropped connection or a server restart is TRANSIENT, a mistake in
 * the SQL is CONFIG, a missing table NOT_FOUND. A connection that dies mid-COPY fails the attempt,
 * never the worker. Cancellation: an aborted activity sends PostgreSQL a cancel request for the
 * running COPY. A partitioned read reads each range in its own snapshot (one per activity): rows
 * that change their partition column while the parts are read can be missed or read twice, so
 * partition on a column that does not change (an id, a creation date).
 */
import { join } from 'node:path';
import { z } from 'zod';
import { adapterCommon } from '../../src/pipeline/retry.js';
import { incrementalSchema } from '../../src/pipeline/incremental.js';
import { withPgClient } from '../../src/connect/pg.js';
import { READ_SESSION } from '../../src/connect/pg-read-types.js';
import { copyRead } from '../../src/connect/pg-copy-read.js';
import { inlineParams, withoutTrailingSemicolons } from '../../src/connect/pg-params.js';
import { partitionSchema, partQuery, planPartitions, type PgPart } from '../../src/connect/pg-partitions.js';
import type { SourceAdapter } from '../adapter.js';

const schema = z.strictObject({
  type: z.literal('postgres'),
  ...adapterCommon,
  connection: z.string().describe('name of a connection in config/connections.yaml'),
  query: z.string().min(1).describe('SQL with $1, $2… placeholders'),
  params: z.array(z.union([z.string(), z.number(), z.boolean(), z.null()])).default([])
    .describe('values for $1, $2… (inlined as quoted literals of unknown type, as PostgreSQL infers a bind parameter\'s type from its context)'),
  incremental: incrementalSchema.optional().describe('load only rows newer than the watermark (see Incremental loads)'),
  partition: partitionSchema.optional().describe('read in ranges of a column, one activity each, with bounded concurrency (see Fan-out)'),
  batch_size: z.number().int().positive().default(10_000).describe('unused since reads stream with COPY (kept so pipelines that set it stay valid)'),
});

export type PostgresSourceSpec = z.infer<typeof schema>;

/** The user's query with its parameters inlined and no trailing `;` (COPY takes no bind parameters). */
const queryOf = (spec: PostgresSourceSpec): string => inlineParams(withoutTrailingSemicolons(spec.query.trim()), spec.params);

export const postgresSource = {
  schema,
  connectionKind: 'postgres',
  async read(spec, ctx) {
    const context = { connection: spec.connection };
    const query = queryOf(spec);
    const part = ctx.part as PgPart | undefined;
    await copyRead(ctx.connection(spec.connection, 'postgres'), {
      query: part && spec.partition ? partQuery(query, spec.partition.column, part) : query,
      user: query,
      dataset: ctx.dataset,
      table: ctx.table,
      file: join(ctx.workdir, `${ctx.dataset}.csv`),
      signal: ctx.signal,
      progress: ctx.progress,
      context,
    });
    return { detail: `${spec.connection}: ${spec.query.replace(/\s+/g, ' ').slice(0, 80)}${part ? ` [${part.name}]` : ''}` };
  },
  async parts(spec, ctx) {
    if (!spec.partition) return undefined;
    const partition = spec.partition;
    const context = { connection: spec.connection, dataset: ctx.dataset };
    return withPgClient(ctx.connection(spec.connection, 'postgres'), { context, signal: ctx.signal }, async (client) => {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      await client.query(READ_SESSION.join('; '));
      const parts = await planPartitions(client, queryOf(spec), partition, context);
      await client.query('COMMIT');
      return parts;
    });
  },
} satisfies SourceAdapter<PostgresSourceSpec>;
