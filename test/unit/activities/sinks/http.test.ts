/**
 * The http sink against a real node:http server, over a staged Parquet file as the deliver
 * activity gives it: batches with idempotency keys, exact values in the request text, and resume
 * from the durable acknowledgement markers alone (no heartbeat details) after a kill.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, copyFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { httpSink } from '../../../../activities/sinks/http.js';
import type { Checkpoint, Progress, SinkContext } from '../../../../activities/adapter.js';
import { TableEngine } from '../../../../src/table/engine.js';
import { connectionSchema, resolveConnection } from '../../../../src/connect/connections.js';
import { FerryError } from '../../../../src/errors.js';

type Post = { key: string; text: string };
let server: Server;
let url: string;
let posts: Post[] = [];
let failWith: number | undefined;
let dir: string;
let staged: string;

before(async () => {
  server = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      if (failWith) {
        res.writeHead(failWith, { 'retry-after': '2' }).end('{"error":"down"}');
        return;
      }
      posts.push({ key: String(req.headers['idempotency-key']), text });
      res.writeHead(201, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  dir = await mkdtemp(join(tmpdir(), 'ferry-unit-'));
  // Staged as the deliver activity finds it: a Parquet file exposed as a view.
  staged = join(dir, 'sales.parquet');
  const setup = await TableEngine.open(join(dir, 'setup'), { allowDirectories: [dir] });
  await setup.run(`COPY (SELECT i::INTEGER AS id, DATE '2024-01-01' + i::INTEGER AS day FROM range(1, 11) t(i) ORDER BY i) TO '${staged}' (FORMAT parquet)`);
  setup.close();
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
  await new Promise((r) => server.close(r));
});

class Killed extends Error {}

function folderCheckpoint(folder: string, killAfter?: string): Checkpoint {
  return {
    async save(name, file) {
      await copyFile(file, join(folder, name));
      if (name === killAfter) throw new Killed(`killed after saving ${name}`);
    },
    restore: async (name) => join(folder, name),
    list: async () => (await readdir(folder)).sort(),
  };
}

/** One attempt: its own workdir and engine, the dataset loaded from Parquet, no heartbeat details. */
async function attempt(options: { checkpoint?: Checkpoint; file?: string; spec?: Record<string, unknown>; cancelAfterBatch?: number } = {}) {
  const workdir = await mkdtemp(join(dir, 'attempt-'));
  const table = await TableEngine.open(workdir);
  await table.loadParquet('sales', options.file ?? staged);
  const progress: Progress[] = [];
  const cancel = new AbortController();
  const conn = resolveConnection({ api: connectionSchema.parse({ type: 'http', base_url: url }) }, 'api', 'http', {});
  const ctx = {
    workdir, table, sink: 'api', dataset: 'sales', rows: await table.count('sales'), runKey: 'run-1', resume: undefined,
    connections: {}, signal: cancel.signal,
    progress: (p: Progress) => {
      progress.push(p);
      // `ferry cancel` as the boundary delivers it: the signal aborts while the sink is working.
      if (p.batch !== undefined && p.batch === options.cancelAfterBatch) cancel.abort(new Error('cancelled'));
    },
    connection: () => conn,
    checkpoint: options.checkpoint ?? folderCheckpoint(await mkdtemp(join(dir, 'cp-'))),
  } as unknown as SinkContext;
  const spec = httpSink.schema.parse({ type: 'http', connection: 'api', input: 'sales', path: '/ingest', batch_size: 4, wrap: 'records', ...options.spec });
  try {
    const result = await httpSink.write(spec, ctx).catch((err: unknown) => err);
    return { result, progress };
  } finally {
    table.close();
  }
}

const ids = (p: Post) => (JSON.parse(p.text) as { records: { id: number }[] }).records.map((r) => r.id);

test('sends every row in batches, each with its own idempotency key', async () => {
  posts = [];
  const { result, progress } = await attempt();
  assert.deepEqual(posts.map((p) => [p.key, ids(p)]), [
    ['run-1-api-1', [1, 2, 3, 4]],
    ['run-1-api-2', [5, 6, 7, 8]],
    ['run-1-api-3', [9, 10]],
  ]);
  assert.ok(posts[0]!.text.startsWith('{"records":[{"id":1,"day":"2024-01-02"},{"id":2,"day":"2024-01-03"}'), 'dates travel as ISO dates');
  assert.deepEqual(progress, [{ batch: 1, rows: 4 }, { batch: 2, rows: 8 }, { batch: 3, rows: 10 }]);
  assert.deepEqual(result, { target: `POST ${url}/ingest`, rows: 10, detail: '3 batches' });
});

test('a kill after batch 2 was recorded: the next attempt sends batch 3 only', async () => {
  const folder = await mkdtemp(join(dir, 'cp-'));
  posts = [];
  const first = await attempt({ checkpoint: folderCheckpoint(folder, 'acked-000002.json') });
  assert.ok(first.result instanceof Killed);
  assert.deepEqual(posts.map((p) => p.key), ['run-1-api-1', 'run-1-api-2']);

  posts = [];
  const second = await attempt({ checkpoint: folderCheckpoint(folder) });
  assert.deepEqual(posts.map((p) => [p.key, ids(p)]), [['run-1-api-3', [9, 10]]]);
  assert.deepEqual(second.result, { target: `POST ${url}/ingest`, rows: 10, detail: '3 batches, resumed after batch 2' });
});

test('a kill after batch 2 was acknowledged but before it was recorded: batch 2 is sent again with the same key, once', async () => {
  const folder = await mkdtemp(join(dir, 'cp-'));
  posts = [];
  // The marker of batch 1 is saved; the worker dies while saving the marker of batch 2 (nothing of it lands).
  const dying: Checkpoint = { ...folderCheckpoint(folder), save: async (name, file) => {
    if (name === 'acked-000002.json') throw new Killed('killed while recording batch 2');
    await copyFile(file, join(folder, name));
  } };
  const first = await attempt({ checkpoint: dying });
  assert.ok(first.result instanceof Killed);
  assert.deepEqual(posts.map((p) => p.key), ['run-1-api-1', 'run-1-api-2']);

  posts = [];
  const second = await attempt({ checkpoint: folderCheckpoint(folder) });
  assert.deepEqual(posts.map((p) => [p.key, ids(p)]), [['run-1-api-2', [5, 6, 7, 8]], ['run-1-api-3', [9, 10]]]);
  assert.equal((second.result as { detail: string }).detail, '3 batches, resumed after batch 1');
});

test('batches are cut the same on every attempt: a changed batch is refused, not resent', async () => {
  const folder = await mkdtemp(join(dir, 'cp-'));
  await attempt({ checkpoint: folderCheckpoint(folder, 'acked-000002.json') });
  const other = join(dir, 'changed.parquet');
  const setup = await TableEngine.open(join(dir, 'setup2'), { allowDirectories: [dir] });
  await setup.run(`COPY (SELECT (11 - i)::INTEGER AS id, DATE '2024-01-01' + i::INTEGER AS day FROM range(1, 11) t(i) ORDER BY i) TO '${other}' (FORMAT parquet)`);
  setup.close();
  posts = [];
  const { result } = await attempt({ checkpoint: folderCheckpoint(folder), file: other });
  assert.ok(result instanceof FerryError);
  assert.equal(result.code, 'DATA');
  assert.match(result.message, /^batch 2 differs from the one acknowledged by an earlier attempt/);
  assert.deepEqual(posts, []);
});

test('exact values: BIGINT beyond 2^53, DECIMAL (38 digits too) and JSON columns keep every digit in the request text', async () => {
  const file = join(dir, 'exact.parquet');
  const setup = await TableEngine.open(join(dir, 'setup3'), { allowDirectories: [dir] });
  await setup.run(`COPY (SELECT 9007199254740993::BIGINT AS id, 439.33::DECIMAL(12,2) AS amount, '0.12345678901234567890123'::DECIMAL(38,23) AS ratio,
    '123456789012345678901234567890'::DECIMAL(38,0) AS big, '{"city":"Köln","lon":6.96000000000000000001}'::JSON AS address, NULL::VARCHAR AS note, 'a"b' AS quote, 19.99::DOUBLE AS price)
    TO '${file}' (FORMAT parquet)`);
  setup.close();
  posts = [];
  const { result } = await attempt({ file, spec: { wrap: undefined } });
  assert.deepEqual((result as { rows: number }).rows, 1);
  assert.equal(posts[0]!.text, '[{"id":9007199254740993,"amount":439.33,"ratio":0.12345678901234567890123,"big":123456789012345678901234567890,'
    + '"address":{"city":"Köln","lon":6.96000000000000000001},"note":null,"quote":"a\\"b","price":19.99}]');
});

test('a receiver that is down is a retryable error carrying Retry-After; URLs in the target are masked', async () => {
  posts = [];
  failWith = 503;
  try {
    const { result } = await attempt({ spec: { path: '/ingest?sig=s3cr3t-sig&page=1' } });
    assert.ok(result instanceof FerryError);
    assert.equal(result.code, 'TRANSIENT');
    assert.equal(result.retryAfterMs, 2000);
    assert.equal(result.describe(), `dataset sales, POST ${url}/ingest: HTTP 503: {"error":"down"}`);
  } finally {
    failWith = undefined;
  }
  const { result } = await attempt({ spec: { path: '/ingest?sig=s3cr3t-sig&page=1' } });
  assert.equal((result as { target: string }).target, `POST ${url}/ingest?sig=***&page=1`);
});

test('a cancelled sink stops: no batch is sent after the cancellation', async () => {
  posts = [];
  const { result } = await attempt({ cancelAfterBatch: 1 });
  assert.ok(result instanceof Error, 'the attempt ends with an error, not a success');
  assert.deepEqual(posts.map((p) => p.key), ['run-1-api-1']);
});

test('exact values: a DECIMAL keeps its scale in the request text (12.10, not 12.1), as PostgreSQL\'s to_json writes it', async () => {
  const file = join(dir, 'scale.parquet');
  const setup = await TableEngine.open(join(dir, 'setup-scale'), { allowDirectories: [dir] });
  await setup.run(`COPY (SELECT * FROM (VALUES (1, 12.10::DECIMAL(12,2), -0.50::DECIMAL(4,2)), (2, 7.00::DECIMAL(12,2), 0.05::DECIMAL(4,2))) t(id, amount, delta))
    TO '${file}' (FORMAT parquet)`);
  setup.close();
  posts = [];
  await attempt({ file, spec: { wrap: undefined } });
  assert.deepEqual(posts.map((p) => p.text), ['[{"id":1,"amount":12.10,"delta":-0.50},{"id":2,"amount":7.00,"delta":0.05}]']);
});
