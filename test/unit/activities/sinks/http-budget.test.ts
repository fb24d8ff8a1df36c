/**
 * The http sink with a batch budget (a rate-limited connection: one request per activity) and with
 * `body: record`: each call sends at most its budget, answers pending while batches remain, and the
 * next call resumes from the checkpoint alone; the last call answers the whole delivery.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, copyFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { httpSink } from '../../../../activities/sinks/http.js';
import type { Checkpoint, SinkContext } from '../../../../activities/adapter.js';
import { TableEngine } from '../../../../src/table/engine.js';
import { connectionSchema, resolveConnection } from '../../../../src/connect/connections.js';
import { FerryError } from '../../../../src/errors.js';

let server: Server;
let url: string;
let posts: { key: string; text: string; method: string }[] = [];
let dir: string;
let staged: string;

before(async () => {
  server = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      posts.push({ key: String(req.headers['idempotency-key']), text, method: req.method ?? '' });
      res.writeHead(201).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  dir = await mkdtemp(join(tmpdir(), 'ferry-unit-budget-'));
  staged = join(dir, 'items.parquet');
  const setup = await TableEngine.open(join(dir, 'setup'), { allowDirectories: [dir] });
  await setup.run(`COPY (SELECT i::INTEGER AS id FROM range(1, 6) t(i) ORDER BY i) TO '${staged}' (FORMAT parquet)`);
  setup.close();
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
  await new Promise((r) => server.close(r));
});

function folderCheckpoint(folder: string): Checkpoint {
  return {
    save: async (name, file) => copyFile(file, join(folder, name)),
    restore: async (name) => join(folder, name),
    list: async () => (await readdir(folder)).sort(),
  };
}

/** One activity call: its own engine and workdir, the checkpoint shared with earlier calls. */
async function call(checkpoint: Checkpoint, spec: Record<string, unknown>, batchBudget?: number) {
  const workdir = await mkdtemp(join(dir, 'call-'));
  const table = await TableEngine.open(workdir);
  await table.loadParquet('items', staged);
  const conn = resolveConnection({ api: connectionSchema.parse({ type: 'http', base_url: url }) }, 'api', 'http', {});
  const ctx = {
    workdir, table, sink: 'api', dataset: 'items', rows: 5, runKey: 'run-1', resume: undefined, connections: {},
    signal: new AbortController().signal, progress: () => undefined, connection: () => conn, checkpoint,
    ...(batchBudget !== undefined ? { batchBudget } : {}),
  } as unknown as SinkContext;
  try {
    return await httpSink.write(httpSink.schema.parse({ type: 'http', connection: 'api', input: 'items', path: '/in', ...spec }), ctx).catch((e: unknown) => e);
  } finally {
    table.close();
  }
}

test('batch budget 1: one request per call, pending until the last batch, then the whole delivery', async () => {
  const checkpoint = folderCheckpoint(await mkdtemp(join(dir, 'cp-')));
  posts = [];
  const results = [];
  for (let i = 0; i < 3; i++) results.push(await call(checkpoint, { batch_size: 2 }, 1));
  assert.deepEqual(results, [
    { target: `POST ${url}/in`, rows: 2, pending: true, detail: '1 batch sent, more to send' },
    { target: `POST ${url}/in`, rows: 4, pending: true, detail: '2 batches sent, more to send' },
    { target: `POST ${url}/in`, rows: 5, detail: '3 batches, 1 per activity' },
  ]);
  assert.deepEqual(posts.map((p) => [p.key, p.text]), [
    ['run-1-api-1', '[{"id":1},{"id":2}]'],
    ['run-1-api-2', '[{"id":3},{"id":4}]'],
    ['run-1-api-3', '[{"id":5}]'],
  ]);
});

test('body: record sends each record as the body itself (wrapped with wrap), PATCH as asked', async () => {
  const checkpoint = folderCheckpoint(await mkdtemp(join(dir, 'cp-')));
  posts = [];
  const result = await call(checkpoint, { body: 'record', method: 'PATCH', wrap: 'item' });
  assert.deepEqual(result, { target: `PATCH ${url}/in`, rows: 5, detail: '5 batches' });
  assert.deepEqual(posts.map((p) => p.text), [1, 2, 3, 4, 5].map((i) => `{"item":{"id":${i}}}`));
  assert.deepEqual(new Set(posts.map((p) => p.method)), new Set(['PATCH']));
});

test('body: record with batch_size other than 1 is a config error, nothing sent', async () => {
  posts = [];
  const err = await call(folderCheckpoint(await mkdtemp(join(dir, 'cp-'))), { body: 'record', batch_size: 10 });
  assert.ok(err instanceof FerryError);
  assert.equal(err.code, 'CONFIG');
  assert.match(err.message, /body: record sends one record per request; batch_size 10/);
  assert.deepEqual(posts, []);
});
