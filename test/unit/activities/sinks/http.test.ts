/**
 * The http sink against a real node:http server: batches with idempotency keys, and a retry that
 * resumes after the last acknowledged batch (the heartbeat details of the previous attempt).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { httpSink } from '../../../../activities/sinks/http.js';
import type { Progress, SinkContext } from '../../../../activities/adapter.js';
import { TableEngine } from '../../../../src/table/engine.js';
import { httpConnectionSchema } from '../../../../src/connect/connections.js';
import { FerryError } from '../../../../src/errors.js';

type Post = { key: string; body: { records: { id: number; day: string }[] } };
let server: Server;
let url: string;
let posts: Post[] = [];
let failWith: number | undefined;
let workdir: string;
let table: TableEngine;

before(async () => {
  server = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      if (failWith) {
        res.writeHead(failWith, { 'retry-after': '2' }).end('{"error":"down"}');
        return;
      }
      posts.push({ key: String(req.headers['idempotency-key']), body: JSON.parse(text) as Post['body'] });
      res.writeHead(201, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  workdir = await mkdtemp(join(tmpdir(), 'ferry-unit-'));
  table = await TableEngine.open(workdir);
  await table.run(`CREATE TABLE sales AS SELECT i::INTEGER AS id, DATE '2024-01-01' + i::INTEGER AS day FROM range(1, 11) t(i)`);
});

after(async () => {
  table.close();
  await rm(workdir, { recursive: true, force: true });
  await new Promise((r) => server.close(r));
});

function context(resume?: Progress): { ctx: SinkContext; progress: Progress[] } {
  const progress: Progress[] = [];
  const conn = httpConnectionSchema.parse({ type: 'http', base_url: url });
  const ctx = {
    workdir, table, sink: 'api', dataset: 'sales', rows: 10, runKey: 'run-1', resume,
    connections: {}, signal: new AbortController().signal,
    progress: (p: Progress) => progress.push(p),
    connection: () => conn,
  } as unknown as SinkContext;
  return { ctx, progress };
}

const spec = httpSink.schema.parse({ type: 'http', connection: 'api', input: 'sales', path: '/ingest', batch_size: 4, wrap: 'records' });

test('sends every row in batches, each with its own idempotency key', async () => {
  posts = [];
  const { ctx, progress } = context();
  const result = await httpSink.write(spec, ctx);
  assert.deepEqual(posts.map((p) => [p.key, p.body.records.map((r) => r.id)]), [
    ['run-1-api-1', [1, 2, 3, 4]],
    ['run-1-api-2', [5, 6, 7, 8]],
    ['run-1-api-3', [9, 10]],
  ]);
  assert.deepEqual(posts[0]!.body.records[0], { id: 1, day: '2024-01-02' }, 'dates travel as ISO dates');
  assert.deepEqual(progress, [{ batch: 1, rows: 4 }, { batch: 2, rows: 8 }, { batch: 3, rows: 10 }]);
  assert.deepEqual(result, { target: `POST ${url}/ingest`, rows: 10, detail: '3 batches' });
});

test('a retry resumes after the last acknowledged batch of the previous attempt', async () => {
  posts = [];
  const { ctx } = context({ batch: 2, rows: 8 });
  const result = await httpSink.write(spec, ctx);
  assert.deepEqual(posts.map((p) => [p.key, p.body.records.map((r) => r.id)]), [['run-1-api-3', [9, 10]]]);
  assert.equal(result.detail, '3 batches, resumed after batch 2');
});

test('a receiver that is down is a retryable error carrying Retry-After', async () => {
  posts = [];
  failWith = 503;
  try {
    const err = await httpSink.write(spec, context().ctx).then(() => assert.fail('should fail'), (e: unknown) => e);
    assert.ok(err instanceof FerryError);
    assert.equal(err.code, 'TRANSIENT');
    assert.equal(err.retryAfterMs, 2000);
    assert.equal(err.describe(), `dataset sales, POST ${url}/ingest: HTTP 503: {"error":"down"}`);
  } finally {
    failWith = undefined;
  }
});
