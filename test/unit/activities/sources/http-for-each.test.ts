/**
 * Parent → child requests (`for_each`) and child datasets (`children`) of the http source against a
 * local server: exact rows with the parent's columns, pagination per parent, and a page-exact
 * resume after a kill in the middle of the parents.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startApi, json, attempt, folderCheckpoint, tempDir, Killed, type Api } from './http-fixture.js';
import { FerryError } from '../../../../src/errors.js';

/** Orders per customer id; customer 'a b' needs URL-encoding; 2 orders per page. */
const ORDERS: Record<string, { id: string; total: string }[]> = {
  '9007199254740993': [{ id: 'o1', total: '10.1' }, { id: 'o2', total: '20.2' }, { id: 'o3', total: '30.3' }],
  'a b': [{ id: 'o4', total: '0.12345678901234567890123' }],
  '7': [],
};

let api: Api;
before(async () => {
  api = await startApi((_req, res, u) => {
    const m = /^\/customers\/([^/]+)\/orders$/.exec(u.pathname);
    if (m) {
      const list = ORDERS[decodeURIComponent(m[1]!)] ?? [];
      const page = Number(u.searchParams.get('page'));
      const items = list.slice((page - 1) * 2, page * 2).map((o) => `{"id": "${o.id}", "total": ${o.total}, "status": "${u.searchParams.get('status')}"}`);
      return json(res, `{"data": [${items.join(', ')}]}`);
    }
    if (u.pathname === '/orders') {
      return json(res, `[
        {"id": 9007199254740993, "items": [{"sku": "A", "qty": 2, "price": 1.10}, {"sku": "B", "qty": 1, "price": 0.12345678901234567890123}], "tags": ["x", "y"]},
        {"id": 2, "items": [], "tags": null},
        {"id": 3, "tags": ["z"]}
      ]`);
    }
    return json(res, '{}', {}, 404);
  });
});
after(() => api.close());

/** Customers with a duplicate row (read once: DISTINCT) and an integer beyond 2^53. */
const CUSTOMERS = `SELECT * FROM (VALUES (9007199254740993::BIGINT, 'Ann'), (7::BIGINT, 'Bo'), (7::BIGINT, 'Bo')) t(id, name)`;
const NAMED = `SELECT * FROM (VALUES ('a b', 'Cy')) t(id, name)`;
const ORDERS_SOURCE = {
  path: '/customers/{customer}/orders', query: { status: 'open-{customer}' }, records: 'data',
  paginate: { type: 'page_number' }, for_each: { dataset: 'customers', params: { customer: 'id' }, include: ['name'] },
};

const run = async (options: { parents?: string; killAfter?: string; folder?: string } = {}) => {
  api.requests.length = 0;
  const folder = options.folder ?? await tempDir();
  const out = await attempt(api, ORDERS_SOURCE, { dataset: 'orders', checkpoint: folderCheckpoint(folder, options), parents: { customers: options.parents ?? CUSTOMERS } });
  return { ...out, requests: [...api.requests], folder };
};

test('for_each: one paginated request sequence per distinct parent row, parent columns typed and exact', async () => {
  const { result, tables, types, requests } = await run();
  assert.deepEqual(result, { detail: 'GET /customers/{customer}/orders for 2 rows of customers (4 pages)' });
  assert.deepEqual(requests, [
    '/customers/7/orders?status=open-7&page=1',
    '/customers/9007199254740993/orders?status=open-9007199254740993&page=1',
    '/customers/9007199254740993/orders?status=open-9007199254740993&page=2',
    '/customers/9007199254740993/orders?status=open-9007199254740993&page=3',
  ]);
  assert.deepEqual(tables.orders, [
    { id: 'o1', total: '10.1', status: 'open-9007199254740993', _customers_id: '9007199254740993', _customers_name: 'Ann' },
    { id: 'o2', total: '20.2', status: 'open-9007199254740993', _customers_id: '9007199254740993', _customers_name: 'Ann' },
    { id: 'o3', total: '30.3', status: 'open-9007199254740993', _customers_id: '9007199254740993', _customers_name: 'Ann' },
  ]);
  assert.equal(types.orders!._customers_id, 'BIGINT', 'the parent column keeps its type');
});

test('for_each: a value is URL-encoded in the path and sent once-encoded in the query', async () => {
  const { tables, requests } = await run({ parents: NAMED });
  assert.deepEqual(requests, ['/customers/a%20b/orders?status=open-a+b&page=1', '/customers/a%20b/orders?status=open-a+b&page=2']);
  assert.deepEqual(tables.orders, [{ id: 'o4', total: '.12345678901234567890123', status: 'open-a b', _customers_id: 'a b', _customers_name: 'Cy' }]);
});

test('for_each: a kill mid-way resumes at the exact parent and page; no page of another parent is fetched again', async () => {
  // Step 3 is customer 9007199254740993's page 2 (step 1: customer 7's only page, step 2: its page 1).
  const first = await run({ killAfter: 'page-000003.state.json' });
  assert.ok(first.result instanceof Killed);
  assert.equal(first.requests.length, 3);
  const second = await run({ folder: first.folder });
  assert.deepEqual(second.requests, ['/customers/9007199254740993/orders?status=open-9007199254740993&page=3'], 'only the one page left');
  assert.deepEqual(second.result, { detail: 'GET /customers/{customer}/orders for 2 rows of customers (4 pages, resumed after page 3)' });
  assert.deepEqual(second.tables.orders!.map((r) => r.id), ['o1', 'o2', 'o3']);
});

test('for_each: a kill after a page was saved but before its state fetches that one page again, once', async () => {
  const first = await run({ killAfter: 'page-000002.ndjson' });
  assert.ok(first.result instanceof Killed);
  const second = await run({ folder: first.folder });
  assert.deepEqual(second.requests, [
    '/customers/9007199254740993/orders?status=open-9007199254740993&page=1',
    '/customers/9007199254740993/orders?status=open-9007199254740993&page=2',
    '/customers/9007199254740993/orders?status=open-9007199254740993&page=3',
  ]);
  assert.deepEqual(second.tables.orders!.map((r) => r.id), ['o1', 'o2', 'o3'], 'no row twice');
});

test('for_each: a param column the parent does not have is a CONFIG error naming the field', async () => {
  const out = await attempt(api, { ...ORDERS_SOURCE, for_each: { dataset: 'customers', params: { customer: 'cid' } } }, { dataset: 'orders', checkpoint: folderCheckpoint(await tempDir()), parents: { customers: CUSTOMERS } });
  assert.ok(out.result instanceof FerryError && out.result.code === 'CONFIG');
  assert.equal(out.result.describe(), "field for_each.params.customer: dataset 'customers' has no column 'cid'; it has: id, name");
});

test('children: orders yields orders and orders__items (one row per element, parent key, _index), exact values', async () => {
  const out = await attempt(api, { path: '/orders', children: ['items', 'tags'], key: 'id' }, {
    dataset: 'orders', checkpoint: folderCheckpoint(await tempDir()), read: ['orders', 'orders__items', 'orders__tags'],
  });
  assert.deepEqual(out.result, { detail: 'GET /orders (1 page)', extra: ['orders__items', 'orders__tags'] });
  assert.deepEqual(out.tables.orders, [{ id: '2' }, { id: '3' }, { id: '9007199254740993' }], 'the arrays leave the parent rows');
  assert.deepEqual(out.tables.orders__items, [
    { _orders_id: '9007199254740993', _index: '0', sku: 'A', qty: '2', price: '1.10000000000000000000000' },
    { _orders_id: '9007199254740993', _index: '1', sku: 'B', qty: '1', price: '0.12345678901234567890123' },
  ]);
  assert.equal(out.types.orders__items!._orders_id, 'BIGINT');
  assert.deepEqual(out.tables.orders__tags, [
    { _orders_id: '3', _index: '0', value: 'z' },
    { _orders_id: '9007199254740993', _index: '0', value: 'x' },
    { _orders_id: '9007199254740993', _index: '1', value: 'y' },
  ]);
});

test('children need a key, and a record without one is a DATA error naming the record', async () => {
  const out = await attempt(api, { path: '/orders', children: ['items'], key: 'order_no' }, { dataset: 'orders', checkpoint: folderCheckpoint(await tempDir()) });
  assert.ok(out.result instanceof FerryError && out.result.code === 'DATA');
  assert.equal(out.result.describe(), `GET ${api.url}/orders, page 1, field children: record 1 has no value for its key 'order_no' (children need the parent's key)`);
  await assert.rejects(attempt(api, { path: '/orders', children: ['items'] }, { checkpoint: folderCheckpoint(await tempDir()) }), /children need key/);
});
