/**
 * `http` sink: sends a dataset as JSON in batches.
 *
 *   sinks:
 *     api:
 *       type: http
 *       connection: demo_api
 *       input: sales_final
 *       path: /ingest
 *       method: POST         # or PUT, PATCH
 *       batch_size: 500
 *       wrap: records        # body {"records": [...]}; omit to send a bare array
 *       # body: record       # one request per record, the body the record itself ({"records": {...}} with wrap)
 *
 * Values are exact: each record's JSON text is built by DuckDB (table/json-out.ts: `to_json` per
 * column, the exact text of JSON columns, NaN/Infinity as strings) and never passes through JS
 * numbers, so BIGINT and DECIMAL values keep every digit. Dates travel as ISO dates.
 *
 * Failure semantics: batches are cut from the staged rows in their staged order (DuckDB keeps
 * insertion order), so they are the same on every attempt. Each batch carries
 * `Idempotency-Key: <runKey>-<sink>-<batch>`, and after the receiver acknowledges it a tiny marker
 * is saved to the activity's checkpoint. A new attempt resumes after the last durably acknowledged
 * batch (at most one batch is sent twice, with the same key), after checking that this batch's body
 * is byte-for-byte what was acknowledged. Cancellation aborts the request in flight.
 *
 * Running a logical run again (a new execution of the same workflow id; `ferry retry` is not one,
 * it resumes): the acknowledged batches of the earlier run are not taken for this run's (the
 * checkpoint is per execution), so every batch is sent again, with the SAME Idempotency-Keys — a
 * receiver that dedupes by key keeps the first delivery and drops the re-run's batches, even when
 * the data changed. To send corrected data to such a receiver, run with another id (`--id`).
 *
 * Rate limits: on a connection with `rate_limit:` the workflow calls the sink with a batch budget
 * of 1 (one request per activity, on the connection's own task queue, workflows/paged.ts); each
 * call resumes after the last acknowledged batch in the checkpoint and answers `pending` while
 * batches remain. 429/503 honour Retry-After; other 5xx back off with jitter (activities/retry-delay.ts);
 * other 4xx fail at once with the receiver's (masked) answer.
 */
import { createHash } from 'node:crypto';
import { writeFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { adapterCommon } from '../../src/pipeline/retry.js';
import { buildUrl, httpText } from '../../src/connect/http.js';
import { maskUrl } from '../../src/pipeline/secrets.js';
import { ConfigError, DataError } from '../../src/errors.js';
import { ident } from '../../src/table/engine.js';
import { recordSql } from '../../src/table/json-out.js';
import type { Checkpoint, SinkAdapter, SinkContext } from '../adapter.js';

const schema = z.strictObject({
  type: z.literal('http'),
  ...adapterCommon,
  connection: z.string().describe('name of a connection in config/connections.yaml'),
  input: z.string().describe('the dataset to deliver'),
  path: z.string().default('/'),
  method: z.enum(['POST', 'PUT', 'PATCH']).default('POST'),
  batch_size: z.number().int().positive().optional().describe('records per request (default 500; body: record sends one)'),
  wrap: z.string().optional().describe('put the batch under this key of a JSON object'),
  body: z.enum(['array', 'record']).optional().describe('array (the default): a JSON array of records per request; record: one request per record, the record object itself as the body'),
});

const DEFAULT_BATCH_SIZE = 500;

export type HttpSinkSpec = z.infer<typeof schema>;

/** The durable record of one acknowledged batch. */
type Acked = { batch: number; rows: number; sha256: string };

const ackedName = (batch: number) => `acked-${String(batch).padStart(6, '0')}.json`;

export const httpSink = {
  schema,
  connectionKind: 'http',
  async write(spec, ctx) {
    const conn = ctx.connection(spec.connection, 'http');
    if (spec.body === 'record' && spec.batch_size !== undefined && spec.batch_size !== 1) {
      throw new ConfigError(`body: record sends one record per request; batch_size ${spec.batch_size} contradicts it (remove batch_size)`, { dataset: ctx.dataset, field: 'batch_size' });
    }
    const size = spec.body === 'record' ? 1 : spec.batch_size ?? DEFAULT_BATCH_SIZE;
    const acked = await lastAcked(ctx.checkpoint);
    const target = `${spec.method} ${maskUrl(buildUrl(conn, spec.path))}`;
    let batch = 0;
    let rows = 0;
    let sent = 0;
    for await (const records of batches(ctx, size)) {
      batch += 1;
      const json = spec.body === 'record' ? records[0]! : `[${records.join(',')}]`;
      const body = spec.wrap ? `{${JSON.stringify(spec.wrap)}:${json}}` : json;
      const sha256 = createHash('sha256').update(body).digest('hex');
      if (acked && batch <= acked.batch) {
        if (batch === acked.batch && sha256 !== acked.sha256) {
          throw new DataError(`batch ${batch} differs from the one acknowledged by an earlier attempt (the staged rows changed); not resending anything`, { dataset: ctx.dataset, endpoint: target });
        }
        rows += records.length;
        continue;
      }
      if (ctx.batchBudget !== undefined && sent >= ctx.batchBudget) {
        return { target, rows, pending: true, detail: `${batch - 1} batch${batch === 2 ? '' : 'es'} sent, more to send` };
      }
      sent += 1;
      rows += records.length;
      await httpText(conn, {
        method: spec.method,
        path: spec.path,
        bodyText: body,
        headers: { 'idempotency-key': `${ctx.runKey}-${ctx.sink}-${batch}` },
        context: { dataset: ctx.dataset },
        signal: ctx.signal,
      });
      const marker = join(ctx.workdir, ackedName(batch));
      await writeFile(marker, JSON.stringify({ batch, rows, sha256 } satisfies Acked));
      await ctx.checkpoint.save(ackedName(batch), marker);
      ctx.progress({ batch, rows });
    }
    return {
      target,
      rows,
      detail: `${batch} batch${batch === 1 ? '' : 'es'}${ctx.batchBudget !== undefined ? `, ${ctx.batchBudget} per activity` : acked ? `, resumed after batch ${acked.batch}` : ''}`,
    };
  },
} satisfies SinkAdapter<HttpSinkSpec>;

async function lastAcked(checkpoint: Checkpoint): Promise<Acked | undefined> {
  const last = (await checkpoint.list()).filter((n) => /^acked-\d+\.json$/.test(n)).sort().at(-1);
  if (!last) return undefined;
  return JSON.parse(await readFile(await checkpoint.restore(last), 'utf8')) as Acked;
}

/**
 * The dataset's records as JSON text, `size` at a time, in the staged order. One streaming scan:
 * no LIMIT/OFFSET, whose row order DuckDB does not promise.
 */
async function* batches(ctx: SinkContext, size: number): AsyncGenerator<string[]> {
  const columns = await ctx.table.columns(ctx.dataset);
  const [setting] = await ctx.table.rows(`SELECT current_setting('preserve_insertion_order') AS keep`);
  // Without insertion order (a user setting), the order must come from the data itself.
  const order = setting?.keep === true ? '' : ' ORDER BY 1';
  const result = await ctx.table.conn.stream(`SELECT ${recordSql(columns)} AS j FROM ${ident(ctx.dataset)}${order}`);
  let batch: string[] = [];
  for await (const chunk of result.yieldRowsJs()) {
    for (const [json] of chunk) {
      batch.push(String(json));
      if (batch.length === size) {
        yield batch;
        batch = [];
      }
    }
  }
  if (batch.length) yield batch;
}
