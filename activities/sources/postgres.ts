/**
 * `postgres` source: the rows of a query, with `$1…` parameters, streamed through a cursor in
 * batches. Column types follow PostgreSQL's (numeric keeps its precision, dates stay dates).
 *
 *   sources:
 *     products:
 *       type: postgres
 *       connection: warehouse
 *       query: SELECT * FROM retail.products WHERE active = $1
 *       params: [true]
 */
import { join } from 'node:path';
import { z } from 'zod';
import { adapterCommon } from '../../src/pipeline/retry.js';
import type { FieldDef } from 'pg';
import { pgPool, pgError } from '../../src/connect/pg.js';
import { writeNdjson, type Column, type Row } from '../../src/table/engine.js';
import type { SourceAdapter } from '../adapter.js';

const schema = z.strictObject({
  type: z.literal('postgres'),
  ...adapterCommon,
  connection: z.string().describe('name of a connection in config/connections.yaml'),
  query: z.string().min(1).describe('SQL with $1, $2… placeholders'),
  params: z.array(z.union([z.string(), z.number(), z.boolean(), z.null()])).default([]).describe('values for $1, $2…'),
  batch_size: z.number().int().positive().default(10_000).describe('rows fetched per round trip (memory stays bounded)'),
});

export type PostgresSourceSpec = z.infer<typeof schema>;

/** Values come back as PostgreSQL's own text; DuckDB casts them to the mapped column type. */
const rawText = { getTypeParser: () => (value: string) => value };

export const postgresSource = {
  schema,
  connectionKind: 'postgres',
  async read(spec, ctx) {
    const pool = pgPool(ctx.connection(spec.connection, 'postgres'));
    const client = await pool.connect().catch((err: unknown) => {
      throw pgError(err, { connection: spec.connection });
    });
    // A cursor streams the result in batches (bounded memory) from one consistent snapshot.
    let columns: Column[] = [];
    const file = join(ctx.workdir, `${ctx.dataset}.ndjson`);
    let rows = 0;
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      await client.query({ text: `DECLARE ferry_cursor NO SCROLL CURSOR FOR ${spec.query.trim().replace(/;+$/, '')}`, values: spec.params });
      async function* batches() {
        for (;;) {
          const result = await client.query<Row>({ text: `FETCH ${spec.batch_size} FROM ferry_cursor`, types: rawText });
          if (!columns.length) columns = result.fields.map(duckColumn);
          if (!result.rows.length) return;
          rows += result.rows.length;
          ctx.progress({ rows });
          yield result.rows;
        }
      }
      await writeNdjson(file, batches());
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw pgError(err, { connection: spec.connection });
    } finally {
      client.release();
    }
    await ctx.table.loadNdjson(ctx.dataset, rows ? [file] : [], columns);
    return { detail: `${spec.connection}: ${spec.query.replace(/\s+/g, ' ').slice(0, 80)}` };
  },
} satisfies SourceAdapter<PostgresSourceSpec>;

/** PostgreSQL type OIDs → DuckDB types; anything unusual stays text. */
export function duckColumn(field: FieldDef): Column {
  const byOid: Record<number, string> = {
    16: 'BOOLEAN', 20: 'BIGINT', 21: 'SMALLINT', 23: 'INTEGER', 700: 'FLOAT', 701: 'DOUBLE',
    1082: 'DATE', 1114: 'TIMESTAMP', 1184: 'TIMESTAMPTZ', 1083: 'TIME', 2950: 'UUID', 114: 'JSON', 3802: 'JSON',
  };
  if (field.dataTypeID === 1700) {
    const mod = field.dataTypeModifier;
    if (mod < 4) return { name: field.name, type: 'DOUBLE' };
    const precision = ((mod - 4) >> 16) & 0xffff;
    const scale = (mod - 4) & 0xffff;
    return { name: field.name, type: precision <= 38 ? `DECIMAL(${precision},${scale})` : 'DOUBLE' };
  }
  return { name: field.name, type: byOid[field.dataTypeID] ?? 'VARCHAR' };
}
