/**
 * `http` sink: POSTs a dataset as JSON in batches. Every batch carries an `Idempotency-Key` of
 * run id, sink and batch number, and each acknowledged batch is heartbeated, so a retry resumes
 * after the last acknowledged batch and a receiver can drop a batch it has already seen.
 *
 *   sinks:
 *     api:
 *       type: http
 *       connection: demo_api
 *       input: sales_final
 *       path: /ingest
 *       batch_size: 500
 *       wrap: records        # body {"records": [...]}; omit to send a bare array
 */
import { z } from 'zod';
import { adapterCommon } from '../../src/pipeline/retry.js';
import { httpJson } from '../../src/connect/http.js';
import { ident } from '../../src/table/engine.js';
import type { SinkAdapter } from '../adapter.js';

const schema = z.strictObject({
  type: z.literal('http'),
  ...adapterCommon,
  connection: z.string().describe('name of a connection in config/connections.yaml'),
  input: z.string().describe('the dataset to deliver'),
  path: z.string().default('/'),
  method: z.enum(['POST', 'PUT', 'PATCH']).default('POST'),
  batch_size: z.number().int().positive().default(500).describe('records per request'),
  wrap: z.string().optional().describe('put the batch under this key of a JSON object'),
});

export type HttpSinkSpec = z.infer<typeof schema>;

export const httpSink = {
  schema,
  connectionKind: 'http',
  async write(spec, ctx) {
    const conn = ctx.connection(spec.connection, 'http');
    const batches = Math.ceil(ctx.rows / spec.batch_size);
    const resumeAfter = ctx.resume?.batch ?? 0; // batches 1..resumeAfter were acknowledged earlier
    for (let batch = resumeAfter + 1; batch <= batches; batch++) {
      // to_json renders dates as ISO strings and decimals as numbers, as a JSON API expects.
      const rows = await ctx.table.rows(
        `SELECT to_json(t)::VARCHAR AS j FROM (SELECT * FROM ${ident(ctx.dataset)} LIMIT ${spec.batch_size} OFFSET ${(batch - 1) * spec.batch_size}) t`,
      );
      const records = rows.map((r) => JSON.parse(String(r.j)) as unknown);
      await httpJson(conn, {
        method: spec.method,
        path: spec.path,
        body: spec.wrap ? { [spec.wrap]: records } : records,
        headers: { 'idempotency-key': `${ctx.runKey}-${ctx.sink}-${batch}` },
        context: { dataset: ctx.dataset },
        signal: ctx.signal,
      });
      ctx.progress({ batch, rows: Math.min(batch * spec.batch_size, ctx.rows) });
    }
    return {
      target: `${spec.method} ${conn.base_url.replace(/\/$/, '')}${spec.path}`,
      rows: ctx.rows,
      detail: `${batches} batch${batches === 1 ? '' : 'es'}${resumeAfter ? `, resumed after batch ${resumeAfter}` : ''}`,
    };
  },
} satisfies SinkAdapter<HttpSinkSpec>;
