/**
 * The http source against a real node:http server: pagination into a dataset, exact values,
 * declared and nested columns, and resume from the durable checkpoint alone (no heartbeat
 * details) after a kill at any moment.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, copyFile, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { httpSource } from '../../../../activities/sources/http.js';
import type { Checkpoint, Progress, SourceContext } from '../../../../activities/adapter.js';
import { TableEngine } from '../../../../src/table/engine.js';
import { connectionSchema, resolveConnection } from '../../../../src/connect/connections.js';
import { FerryError } from '../../../../src/errors.js';

const PEOPLE = Array.from({ length: 10 }, (_v, i) => ({ id: i + 1, name: `person ${i + 1}` }));
/** Written by hand: JSON.stringify could not even produce these numbers. */
const EXACT_BODY = `{"data": [
  {"id": 9007199254740993, "amount": 439.33, "ratio": 0.12345678901234567890123, "big": 123456789012345678901234567890,
   "price": 19.99, "day": "2024-01-05", "ok": true, "address": {"city": "K\\u00f6ln", "geo": {"lat": 50.9375, "lon": 6.96000000000000000001}}, "tags": ["a", 1.10]},
  {"id": 2, "amount": 0.1, "ratio": 1.5, "big": 1, "price": 5, "day": "2024-01-06", "ok": false, "address": null, "tags": []}
]}`;

let server: Server;
let url: string;
let requests: string[] = [];
let failPage: number | undefined;
let dir: string;

before(async () => {
  server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    requests.push(u.search);
    if (req.headers.authorization !== 'Bearer good-token') return void res.writeHead(401).end('{"error":"no"}');
    if (u.pathname === '/exact') return void res.writeHead(200, { 'content-type': 'application/json' }).end(EXACT_BODY);
    if (u.pathname === '/stuck') return void res.writeHead(200).end('{"data": [{"id": 1}], "meta": {"next": "c1"}}');
    if (u.pathname === '/empty') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"data": []}');
    if (u.pathname === '/bad-amount') return void res.writeHead(200).end('{"data": [{"amount": 1.5}, {"amount": "abc"}]}');
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

class Killed extends Error {}

/**
 * A checkpoint in a folder that outlives attempts (as the staging store does). `killAfter` makes
 * the worker "die" right after that name is saved; `restoring` counts restores in flight.
 */
function folderCheckpoint(folder: string, options: { killAfter?: string; restoreDelayMs?: number } = {}) {
  const stats = { inFlight: 0, maxInFlight: 0, restored: 0 };
  const checkpoint: Checkpoint = {
    async save(name, file) {
      await copyFile(file, join(folder, name));
      if (name === options.killAfter) throw new Killed(`killed after saving ${name}`);
    },
    async restore(name) {
      stats.inFlight++;
      stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
      await new Promise((r) => setTimeout(r, options.restoreDelayMs ?? 0));
      stats.inFlight--;
      stats.restored++;
      return join(folder, name);
    },
    list: async () => (await readdir(folder)).sort(),
  };
  return { checkpoint, stats };
}

/** One attempt of the activity: its own workdir and engine, no heartbeat details (`resume` undefined). */
async function attempt(checkpoint: Checkpoint, extra: Record<string, unknown> = {}, token = 'good-token') {
  const workdir = await mkdtemp(join(dir, 'attempt-'));
  const table = await TableEngine.open(workdir);
  const progress: Progress[] = [];
  const spec = connectionSchema.parse({ type: 'http', base_url: url, auth: { type: 'bearer', token: '${env:SRC_TOKEN}' } });
  const conn = resolveConnection({ api: spec }, 'api', 'http', { SRC_TOKEN: token });
  const ctx = {
    workdir, table, dataset: 'people', runKey: 'r', resume: undefined, connections: {}, signal: new AbortController().signal,
    connection: () => conn,
    progress: (p: Progress) => progress.push(structuredClone(p)),
    checkpoint,
  } as unknown as SourceContext;
  const source = httpSource.schema.parse({ type: 'http', connection: 'api', path: '/people', records: 'data', paginate: { type: 'page_number', size_param: 'per_page', size: 4, stop_on_short_page: true }, ...extra });
  try {
    const result = await httpSource.read(source, ctx).catch((err: unknown) => err);
    const rows = result instanceof Error ? [] : await table.rows('SELECT * FROM people ORDER BY 1');
    const types = result instanceof Error ? {} : Object.fromEntries((await table.columns('people')).map((c) => [c.name, c.type]));
    const text = result instanceof Error ? [] : await table.rows('SELECT COLUMNS(*)::VARCHAR FROM people ORDER BY id::VARCHAR DESC');
    return { result, rows, types, text, progress };
  } finally {
    table.close();
  }
}

const newFolder = () => mkdtemp(join(dir, 'cp-'));

test('follows page_number pagination until a short page (stop_on_short_page), into one dataset', async () => {
  requests = [];
  const { checkpoint } = folderCheckpoint(await newFolder());
  const { result, rows, types, progress } = await attempt(checkpoint);
  assert.deepEqual(result, { detail: 'GET /people (3 pages)' });
  assert.deepEqual(rows, PEOPLE);
  assert.deepEqual(types, { id: 'BIGINT', name: 'VARCHAR' });
  assert.deepEqual(requests, ['?page=1&per_page=4', '?page=2&per_page=4', '?page=3&per_page=4']);
  assert.deepEqual(progress, [{ page: 1, rows: 4 }, { page: 2, rows: 8 }, { page: 3, rows: 10 }], 'heartbeats carry counters only');
});

test('a kill after page 2 was saved: the next attempt, without heartbeat details, fetches only page 3', async () => {
  const folder = await newFolder();
  requests = [];
  const first = await attempt(folderCheckpoint(folder, { killAfter: 'page-000002.state.json' }).checkpoint);
  assert.ok(first.result instanceof Killed);
  assert.deepEqual(requests, ['?page=1&per_page=4', '?page=2&per_page=4']);

  requests = [];
  const second = await attempt(folderCheckpoint(folder).checkpoint);
  assert.deepEqual(requests, ['?page=3&per_page=4'], 'pages 1 and 2 came from the checkpoint');
  assert.deepEqual(second.result, { detail: 'GET /people (3 pages, resumed after page 2)' });
  assert.deepEqual(second.rows, PEOPLE);
});

test('a kill between saving page 3 and its state: page 3 is fetched again, once, and no row is doubled', async () => {
  const folder = await newFolder();
  requests = [];
  const first = await attempt(folderCheckpoint(folder, { killAfter: 'page-000003.ndjson' }).checkpoint);
  assert.ok(first.result instanceof Killed);
  assert.deepEqual(requests, ['?page=1&per_page=4', '?page=2&per_page=4', '?page=3&per_page=4']);

  requests = [];
  const second = await attempt(folderCheckpoint(folder).checkpoint);
  assert.deepEqual(requests, ['?page=3&per_page=4']);
  assert.deepEqual(second.rows, PEOPLE);
});

test('a retry after a 503 on page 3 continues from the checkpoint', async () => {
  const folder = await newFolder();
  failPage = 3;
  const first = await attempt(folderCheckpoint(folder).checkpoint);
  assert.ok(first.result instanceof FerryError && first.result.code === 'TRANSIENT', 'the 503 is retryable');
  requests = [];
  const second = await attempt(folderCheckpoint(folder).checkpoint);
  assert.deepEqual(requests, ['?page=3&per_page=4']);
  assert.deepEqual(second.rows, PEOPLE);
});

test('saved pages are restored at most 8 at a time, and the state saved stays small', async () => {
  const folder = await newFolder();
  const many = { paginate: { type: 'page_number', size_param: 'per_page', size: 1, stop_on_short_page: true }, max_pages: 20 };
  const first = await attempt(folderCheckpoint(folder, { killAfter: 'page-000010.state.json' }).checkpoint, many);
  assert.ok(first.result instanceof Killed);
  const state = await readFile(join(folder, 'page-000010.state.json'), 'utf8');
  assert.ok(state.length < 1000, `state of page 10 is ${state.length} bytes`);
  const { checkpoint, stats } = folderCheckpoint(folder, { restoreDelayMs: 20 });
  requests = [];
  const second = await attempt(checkpoint, many);
  assert.deepEqual(second.rows, PEOPLE);
  assert.deepEqual(requests, ['?page=11&per_page=1']);
  assert.equal(stats.restored, 20, '10 pages and their 10 states (the loop guard\'s memory)');
  assert.equal(stats.maxInFlight, 8);
});

test('exact values: integers beyond 2^53, long decimals and declared DECIMALs keep every digit', async () => {
  const { result, types, text } = await attempt(folderCheckpoint(await newFolder()).checkpoint, { path: '/exact', paginate: { type: 'none' }, columns: { amount: 'DECIMAL(12,2)' } });
  assert.deepEqual(result, { detail: 'GET /exact (1 page)' });
  assert.deepEqual(types, {
    id: 'BIGINT', amount: 'DECIMAL(12,2)', ratio: 'DECIMAL(24,23)', big: 'DECIMAL(38,0)', price: 'DOUBLE', day: 'DATE', ok: 'BOOLEAN', address: 'JSON', tags: 'JSON',
  });
  assert.deepEqual(text[0], {
    id: '9007199254740993', amount: '439.33', ratio: '0.12345678901234567890123', big: '123456789012345678901234567890', price: '19.99', day: '2024-01-05', ok: 'true',
    address: '{"city":"K\\u00f6ln","geo":{"lat":50.9375,"lon":6.96000000000000000001}}', tags: '["a",1.10]',
  });
  assert.deepEqual(text[1], { id: '2', amount: '0.10', ratio: '1.50000000000000000000000', big: '1', price: '5.0', day: '2024-01-06', ok: 'false', address: null, tags: '[]' });
});

test('columns: types the named columns and keeps every other field', async () => {
  const { types, rows } = await attempt(folderCheckpoint(await newFolder()).checkpoint, { columns: { id: 'VARCHAR' } });
  assert.deepEqual(types, { id: 'VARCHAR', name: 'VARCHAR' });
  assert.deepEqual(rows.map((r) => [r.id, r.name]).slice(0, 2), [['1', 'person 1'], ['10', 'person 10']]);
});

test('nested: flatten turns objects into columns (address.city → address_city); arrays stay JSON', async () => {
  const { types, text } = await attempt(folderCheckpoint(await newFolder()).checkpoint, { path: '/exact', paginate: { type: 'none' }, nested: 'flatten', columns: { id: 'BIGINT' } });
  assert.deepEqual(Object.keys(types), ['id', 'amount', 'ratio', 'big', 'price', 'day', 'ok', 'address_city', 'address_geo_lat', 'address_geo_lon', 'tags']);
  assert.equal(types.address_city, 'VARCHAR');
  assert.equal(types.address_geo_lon, 'DECIMAL(21,20)');
  assert.equal(types.tags, 'JSON');
  assert.equal(text[0]!.address_city, 'Köln');
  assert.equal(text[0]!.address_geo_lon, '6.96000000000000000001');
  assert.equal(text[1]!.address_city, null);
});

test('a credential in the path is masked in the report', async () => {
  const { result } = await attempt(folderCheckpoint(await newFolder()).checkpoint, { path: '/exact?sig=abc123', paginate: { type: 'none' } });
  assert.deepEqual(result, { detail: 'GET /exact?sig=*** (1 page)' });
});

test('a rejected token is a non-retryable auth error naming the endpoint and page', async () => {
  const { result } = await attempt(folderCheckpoint(await newFolder()).checkpoint, {}, 'bad-token');
  assert.ok(result instanceof FerryError);
  assert.equal(result.code, 'AUTH');
  assert.equal(result.describe(), `GET ${url}/people, page 1: HTTP 401 Unauthorized: {"error":"no"} (check the credentials of the connection)`);
});

test('more pages than max_pages fail the run instead of delivering part of the data', async () => {
  const { result } = await attempt(folderCheckpoint(await newFolder()).checkpoint, { max_pages: 2 });
  assert.ok(result instanceof FerryError);
  assert.equal(result.code, 'DATA');
  assert.equal(result.describe(), 'GET /people, page 3, field max_pages: the API has more than max_pages = 2 pages; raise max_pages or narrow the query');
});

test('a declared type that is not a DuckDB type is a CONFIG error before any request', async () => {
  requests = [];
  const { result } = await attempt(folderCheckpoint(await newFolder()).checkpoint, { columns: { amount: 'DECIMAL(x)' } });
  assert.ok(result instanceof FerryError);
  assert.equal(result.code, 'CONFIG');
  assert.equal(result.describe(), 'field columns.amount: "DECIMAL(x)" is not a DuckDB type (Value "DECIMAL(x)" can not be converted to a DuckDB Type.)');
  assert.deepEqual(requests, []);
});

test('a value that does not fit its declared type names the page and record', async () => {
  const { result } = await attempt(folderCheckpoint(await newFolder()).checkpoint, { path: '/bad-amount', paginate: { type: 'none' }, columns: { amount: 'DECIMAL(12,2)' } });
  assert.ok(result instanceof FerryError);
  assert.equal(result.code, 'DATA');
  assert.equal(result.describe(), 'GET /bad-amount, page 1, field columns: record 2: Failed to cast value to decimal: "abc" (a value that does not fit its column type)');
});

test('a cursor that does not advance fails at the repeat instead of looping to max_pages', async () => {
  requests = [];
  const { result } = await attempt(folderCheckpoint(await newFolder()).checkpoint, { path: '/stuck', paginate: { type: 'cursor', cursor_path: 'meta.next' } });
  assert.ok(result instanceof FerryError);
  assert.equal(result.code, 'DATA');
  assert.equal(result.describe(), `GET ${url}/stuck?cursor=c1, page 2, field paginate: page 2 points to cursor "c1" again, which page 2 already fetched (cursor does not advance); stopping rather than looping`);
  assert.deepEqual(requests, ['', '?cursor=c1']);
});

test('an empty API result is allowed: 0 rows, with the declared columns when there are some', async () => {
  const read = async (extra: Record<string, unknown>) => {
    const workdir = await mkdtemp(join(dir, 'attempt-'));
    const table = await TableEngine.open(workdir);
    const conn = resolveConnection({ api: connectionSchema.parse({ type: 'http', base_url: url, auth: { type: 'bearer', token: '${env:SRC_TOKEN}' } }) }, 'api', 'http', { SRC_TOKEN: 'good-token' });
    const ctx = { workdir, table, dataset: 'people', runKey: 'r', connections: {}, signal: new AbortController().signal, connection: () => conn, progress: () => undefined, checkpoint: folderCheckpoint(await newFolder()).checkpoint } as unknown as SourceContext;
    try {
      await httpSource.read(httpSource.schema.parse({ type: 'http', connection: 'api', path: '/empty', records: 'data', ...extra }), ctx);
      return { rows: await table.count('people'), types: (await table.columns('people')).map((c) => `${c.name} ${c.type}`) };
    } finally {
      table.close();
    }
  };
  assert.equal((await read({})).rows, 0);
  assert.deepEqual(await read({ columns: { id: 'BIGINT', name: 'VARCHAR' } }), { rows: 0, types: ['id BIGINT', 'name VARCHAR'] });
});
