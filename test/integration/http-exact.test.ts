/**
 * Exact values end to end through a real run (Temporal, worker, staging as Parquet): an API behind
 * an api_key query parameter serves integers beyond 2^53, long decimals, money and nested objects;
 * the http sink receives the same digits as text, PostgreSQL gets bigint/numeric/jsonb, the CSV
 * gets real JSON, and the api key appears nowhere in the workflow history or the run report.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { startHarness, randomId, historyText } from '../support/harness.js';

/** Written by hand: JSON.stringify could not even produce these numbers. */
const PAGES = [
  `{"data": [
    {"id": 9007199254740993, "amount": 439.33, "ratio": 0.12345678901234567890123, "address": {"city": "Köln", "zip": "50667"}, "tags": ["a", "b"], "day": "2024-01-05"},
    {"id": 2, "amount": 0.1, "ratio": 1.5, "address": {"city": "Paris", "zip": "75001"}, "tags": [], "day": "2024-01-06"}
  ], "total_pages": 2}`,
  `{"data": [
    {"id": 9223372036854775807, "amount": 12345678.99, "ratio": 0.5, "address": null, "tags": [1.10], "day": "2024-01-07"}
  ], "total_pages": 2}`,
];

let h: Awaited<ReturnType<typeof startHarness>>;
let api: Server;
let apiUrl: string;
const apiKey = `key-${randomId()}${randomId()}`;
const received: string[] = [];
const unauthorized: string[] = [];
let dir: string;
const schema = `http_exact_${randomId()}`;

before(async () => {
  api = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      if (url.searchParams.get('api_key') !== apiKey) {
        unauthorized.push(req.url ?? '');
        return void res.writeHead(401).end('{"error":"bad key"}');
      }
      if (req.method === 'GET' && url.pathname === '/v1/orders') {
        return void res.writeHead(200, { 'content-type': 'application/json' }).end(PAGES[Number(url.searchParams.get('page')) - 1] ?? '{"data":[]}');
      }
      if (req.method === 'POST' && url.pathname === '/v1/echo') {
        received.push(text);
        return void res.writeHead(201).end('{}');
      }
      res.writeHead(404).end();
    });
  });
  await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
  apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}/v1`;
  h = await startHarness();
  dir = await mkdtemp(join(tmpdir(), 'ferry-http-exact-'));
  // The file sink writes here: a root the worker is told it may use, as an operator would.
  process.env.FERRY_FILE_ROOTS = dir;
});

after(async () => {
  await h?.sql(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
  await h?.stop();
  await new Promise((r) => api.close(r));
  await rm(dir, { recursive: true, force: true });
  delete process.env.FERRY_CONNECTIONS;
  delete process.env.EXACT_API_KEY;
  delete process.env.FERRY_FILE_ROOTS;
});

test('integers beyond 2^53, long decimals, DECIMAL money and nested JSON keep every digit from API to API, PostgreSQL and CSV', async () => {
  const connections = join(dir, 'connections.yaml');
  await writeFile(connections, `${await readFile('config/connections.yaml', 'utf8')}
exact_api:
  type: http
  base_url: ${apiUrl}
  auth: { type: api_key, name: api_key, value: '\${env:EXACT_API_KEY}', location: query }
`);
  process.env.FERRY_CONNECTIONS = connections;
  process.env.EXACT_API_KEY = apiKey;
  const csv = join(dir, 'orders.csv');
  const pipeline = join(dir, 'exact.yaml');
  await writeFile(pipeline, `name: http_exact
sources:
  orders:
    type: http
    connection: exact_api
    path: /orders
    records: data
    paginate: { type: page_number, size_param: per_page, size: 2, total_pages_path: total_pages }
    columns: { amount: 'DECIMAL(12,2)' }
sinks:
  echo:
    type: http
    connection: exact_api
    input: orders
    path: /echo
  warehouse:
    type: postgres
    connection: warehouse
    input: orders
    table: ${schema}.orders
  csv:
    type: file
    input: orders
    path: ${csv}
`);
  const { handle, report } = await h.run(pipeline);
  assert.equal(report.status, 'completed', JSON.stringify(report));
  assert.deepEqual(unauthorized, [], 'every request carried the key');

  // A declared DECIMAL(12,2) is sent with its scale (0.10), as PostgreSQL and the CSV have it.
  assert.deepEqual(received, [
    '[{"id":9007199254740993,"amount":439.33,"ratio":0.12345678901234567890123,"address":{"city":"Köln","zip":"50667"},"tags":["a","b"],"day":"2024-01-05"},'
    + '{"id":2,"amount":0.10,"ratio":1.50000000000000000000000,"address":{"city":"Paris","zip":"75001"},"tags":[],"day":"2024-01-06"},'
    + '{"id":9223372036854775807,"amount":12345678.99,"ratio":0.50000000000000000000000,"address":null,"tags":[1.10],"day":"2024-01-07"}]',
  ]);

  const rows = await h.sql(`SELECT id::text AS id, amount::text AS amount, ratio::text AS ratio, pg_typeof(address)::text AS type, address->>'city' AS city, tags::text AS tags
    FROM ${schema}.orders ORDER BY id`);
  assert.deepEqual(rows, [
    { id: '2', amount: '0.10', ratio: '1.50000000000000000000000', type: 'jsonb', city: 'Paris', tags: '[]' },
    { id: '9007199254740993', amount: '439.33', ratio: '0.12345678901234567890123', type: 'jsonb', city: 'Köln', tags: '["a", "b"]' },
    { id: '9223372036854775807', amount: '12345678.99', ratio: '0.50000000000000000000000', type: 'jsonb', city: null, tags: '[1.10]' },
  ]);

  const lines = (await readFile(csv, 'utf8')).trim().split('\n');
  assert.equal(lines[0], 'id,amount,ratio,address,tags,day');
  assert.equal(lines[1], '9007199254740993,439.33,0.12345678901234567890123,"{""city"":""Köln"",""zip"":""50667""}","[""a"",""b""]",2024-01-05');

  // The key is resolved on the worker only: not in the history, not in the report.
  const history = historyText(historyToJSON(await handle.fetchHistory()));
  assert.ok(!history.includes(apiKey), 'the api key is not in the workflow history');
  assert.ok(history.includes('${env:EXACT_API_KEY}'), 'the history carries the reference');
  assert.ok(!JSON.stringify(report).includes(apiKey));
});
