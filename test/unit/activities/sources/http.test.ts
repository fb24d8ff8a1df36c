/**
 * The http source against a real node:http server: pagination into a dataset, and a retry that
 * restores the pages saved by the failed attempt and fetches only the rest.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, copyFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { httpSource } from '../../../../activities/sources/http.js';
import type { Progress, SourceContext } from '../../../../activities/adapter.js';
import { TableEngine } from '../../../../src/table/engine.js';
import { httpConnectionSchema } from '../../../../src/connect/connections.js';
import { FerryError } from '../../../../src/errors.js';

const PEOPLE = Array.from({ length: 10 }, (_v, i) => ({ id: i + 1, name: `person ${i + 1}` }));
let server: Server;
let url: string;
let requests: string[] = [];
let failPage: number | undefined;
let dir: string;

before(async () => {
  server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    requests.push(u.search);
    if (req.headers.authorization !== 'Bearer good') return void res.writeHead(401).end('{"error":"no"}');
    const page = Number(u.searchParams.get('page'));
    if (page === failPage) {
      failPage = undefined; // fails once, like a server that comes back
      return void res.writeHead(503).end();
    }
    const size = Number(u.searchParams.get('per_page'));
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: PEOPLE.slice((page - 1) * size, page * size) }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  dir = await mkdtemp(join(tmpdir(), 'ferry-unit-'));
});
after(async () => {
  await new Promise((r) => server.close(r));
  await rm(dir, { recursive: true, force: true });
});

/** One attempt of the activity: its own workdir and engine; the checkpoint store outlives it. */
async function attempt(checkpoints: string, resume?: Progress, token = 'good', extra: Record<string, unknown> = {}) {
  const workdir = await mkdtemp(join(dir, 'attempt-'));
  const table = await TableEngine.open(workdir);
  const progress: Progress[] = [];
  const conn = httpConnectionSchema.parse({ type: 'http', base_url: url, auth: { type: 'bearer', token } });
  const ctx = {
    workdir, table, dataset: 'people', runKey: 'r', resume, connections: {}, signal: new AbortController().signal,
    connection: () => conn,
    progress: (p: Progress) => progress.push(structuredClone(p)),
    checkpoint: {
      save: async (name: string, file: string) => copyFile(file, join(checkpoints, name)),
      restore: async (name: string) => join(checkpoints, name),
    },
  } as unknown as SourceContext;
  const spec = httpSource.schema.parse({ type: 'http', connection: 'api', path: '/people', records: 'data', paginate: { type: 'page_number', size_param: 'per_page', size: 4 }, ...extra });
  try {
    const result = await httpSource.read(spec, ctx).catch((err: unknown) => err);
    const rows = result instanceof Error ? [] : await table.rows('SELECT * FROM people ORDER BY id');
    return { result, rows, progress };
  } finally {
    table.close();
  }
}

test('follows page_number pagination until a short page, into one dataset', async () => {
  requests = [];
  const checkpoints = await mkdtemp(join(dir, 'cp-'));
  const { result, rows, progress } = await attempt(checkpoints);
  assert.deepEqual(result, { detail: 'GET /people (3 pages)' });
  assert.deepEqual(rows, PEOPLE);
  assert.deepEqual(requests, ['?page=1&per_page=4', '?page=2&per_page=4', '?page=3&per_page=4']);
  assert.deepEqual(progress.map((p) => [p.page, p.rows]), [[1, 4], [2, 8], [3, 10]]);
});

test('a retry restores the saved pages and fetches only the rest', async () => {
  const checkpoints = await mkdtemp(join(dir, 'cp-'));
  await mkdir(checkpoints, { recursive: true });
  requests = [];
  failPage = 3;
  const first = await attempt(checkpoints);
  assert.ok(first.result instanceof FerryError && first.result.code === 'TRANSIENT', 'the 503 is retryable');
  const heartbeat = first.progress.at(-1)!; // what Temporal hands the next attempt
  assert.deepEqual([heartbeat.page, heartbeat.rows], [2, 8]);

  requests = [];
  const second = await attempt(checkpoints, heartbeat);
  assert.deepEqual(requests, ['?page=3&per_page=4'], 'pages 1 and 2 were not fetched again');
  assert.deepEqual(second.result, { detail: 'GET /people (3 pages, resumed after page 2)' });
  assert.deepEqual(second.rows, PEOPLE);
});

test('a rejected token is a non-retryable auth error naming the endpoint and page', async () => {
  const { result } = await attempt(await mkdtemp(join(dir, 'cp-')), undefined, 'bad');
  assert.ok(result instanceof FerryError);
  assert.equal(result.code, 'AUTH');
  assert.equal(result.describe(), `GET ${url}/people, page 1: HTTP 401 Unauthorized: {"error":"no"} (check the credentials of the connection)`);
});

test('more pages than max_pages fail the run instead of delivering part of the data', async () => {
  const { result } = await attempt(await mkdtemp(join(dir, 'cp-')), undefined, 'good', { max_pages: 2 });
  assert.ok(result instanceof FerryError);
  assert.equal(result.code, 'DATA');
  assert.equal(result.describe(), 'GET /people, page 2, field max_pages: the API has more than max_pages = 2 pages; raise max_pages or narrow the query');
});
