/**
 * A whole pipeline through Temporal (the path of `ferry run`) on a local API: customers (paged) →
 * for_each customer its orders (paged per customer) with the order items split into a child
 * dataset → PostgreSQL. The worker is a real process, SIGKILLed in the middle of the orders'
 * pages; the next worker resumes from the checkpoint. Checks the exact rows in PostgreSQL and
 * the requests the API got: every page, at most one of them twice.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFerryWorker } from '../../support/ferry-worker.js';
import { startHarness, randomId } from '../../support/harness.js';
import { startApi, json, type Api } from '../../unit/activities/sources/http-fixture.js';
import type { RunReport } from '../../../src/run.js';

/** 5 customers (one id beyond 2^53), 2 per page; customer k has k-1 orders, 2 per page, each with k-1 items. */
const CUSTOMER_IDS = ['1', '2', '3', '4', '9007199254740993'];
const ordersOf = (cid: string) => {
  const k = CUSTOMER_IDS.indexOf(cid) + 1;
  return Array.from({ length: k - 1 }, (_v, i) => ({ id: `${cid}-${i + 1}`, amount: `${k}.${i}1`, items: Array.from({ length: k - 1 }, (_w, j) => ({ sku: `s${j}`, qty: j + 1 })) }));
};

let h: Awaited<ReturnType<typeof startHarness>>;
let api: Api;
let dir: string;
const schema = `it7_http_${randomId()}`;
const workers: ChildProcess[] = [];

before(async () => {
  api = await startApi((_req, res, u) => {
    const page = Number(u.searchParams.get('page'));
    if (u.pathname === '/customers') {
      const list = CUSTOMER_IDS.slice((page - 1) * 2, page * 2).map((id) => `{"id": ${id}, "name": "c${id}"}`);
      return json(res, `{"data": [${list.join(',')}]}`);
    }
    const m = /^\/customers\/(\d+)\/orders$/.exec(u.pathname);
    if (m) {
      const list = ordersOf(m[1]!).slice((page - 1) * 2, page * 2);
      const body = `{"data": [${list.map((o) => `{"id": "${o.id}", "amount": ${o.amount}, "items": ${JSON.stringify(o.items)}}`).join(',')}]}`;
      return void setTimeout(() => json(res, body), 300);
    }
    return json(res, '{}', {}, 404);
  });
  h = await startHarness({ inProcessWorker: false });
  dir = await mkdtemp(join(tmpdir(), 'ferry-http-for-each-'));
});

after(async () => {
  for (const w of workers) w.kill('SIGKILL');
  await h?.sql(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
  await h?.stop();
  await api.close();
  await rm(dir, { recursive: true, force: true });
  delete process.env.FERRY_CONNECTIONS;
});

test('customers → for_each orders (+ orders__items) → PostgreSQL, SIGKILL mid-way: exact rows, at most one page twice', { timeout: 300_000 }, async () => {
  const connections = join(dir, 'connections.yaml');
  await writeFile(connections, `${await readFile('config/connections.yaml', 'utf8')}
shop:
  type: http
  base_url: ${api.url}
`);
  process.env.FERRY_CONNECTIONS = connections;
  const pipeline = join(dir, 'shop.yaml');
  await writeFile(pipeline, `name: shop_orders
sources:
  customers:
    type: http
    connection: shop
    path: /customers
    records: data
    paginate: { type: page_number }
  orders:
    type: http
    connection: shop
    path: /customers/{cid}/orders
    records: data
    paginate: { type: page_number }
    for_each: { dataset: customers, params: { cid: id }, include: [name] }
    children: [items]
    key: id
sinks:
  orders_db:
    type: postgres
    connection: warehouse
    input: orders
    table: ${schema}.orders
  items_db:
    type: postgres
    connection: warehouse
    input: orders__items
    table: ${schema}.order_items
`);
  const orderPages = () => api.requests.filter((r) => r.includes('/orders')).length;
  const first = await startFerryWorker(h, workers);
  const handle = await h.start(pipeline);
  await h.waitFor('orders page 5', () => orderPages() >= 5, 120_000);
  first.kill('SIGKILL');
  await once(first, 'exit');
  const before = orderPages();
  await startFerryWorker(h, workers);
  const report = (await handle.result()) as RunReport;
  assert.equal(report.status, 'completed');

  // Every page requested; at most one (the one in flight at the kill) twice.
  const expected = [
    ...[1, 2, 3, 4].map((p) => `/customers?page=${p}`),
    ...CUSTOMER_IDS.flatMap((cid) => {
      const pages = Math.ceil(ordersOf(cid).length / 2) + 1; // the last one is empty
      return Array.from({ length: pages }, (_v, i) => `/customers/${cid}/orders?page=${i + 1}`);
    }),
  ];
  const counts = new Map<string, number>();
  for (const r of api.requests) counts.set(r, (counts.get(r) ?? 0) + 1);
  assert.deepEqual([...counts.keys()].sort(), [...expected].sort());
  const twice = [...counts].filter(([, n]) => n > 1);
  assert.ok(twice.length <= 1 && twice.every(([, n]) => n === 2), `fetched twice: ${JSON.stringify(twice)} (killed after ${before} order pages)`);

  const byText = <T>(key: (r: T) => string) => (a: T, b: T) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);
  const orders = (await h.sql<{ id: string }>(`SELECT id, amount::text AS amount, _customers_id::text AS cid, _customers_name AS name FROM ${schema}.orders`)).sort(byText((r) => r.id));
  assert.deepEqual(orders, CUSTOMER_IDS.flatMap((cid) => ordersOf(cid).map((o) => ({ id: o.id, amount: o.amount, cid, name: `c${cid}` }))).sort(byText((r) => r.id)));
  const types = await h.sql(`SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = '${schema}' AND table_name = 'orders' ORDER BY column_name`);
  assert.deepEqual(types.find((t) => t.column_name === '_customers_id'), { column_name: '_customers_id', data_type: 'bigint' });
  const itemKey = (r: { oid: string; i: number }) => `${r.oid}#${r.i}`;
  const items = (await h.sql<{ oid: string; i: number }>(`SELECT _orders_id AS oid, _index::int AS i, sku, qty::int AS qty FROM ${schema}.order_items`)).sort(byText(itemKey));
  assert.deepEqual(items, CUSTOMER_IDS.flatMap((cid) => ordersOf(cid).flatMap((o) => o.items.map((it, i) => ({ oid: o.id, i, sku: it.sku, qty: it.qty })))).sort(byText(itemKey)));
});
