/**
 * Table-driven graph checks of the http source: `for_each` must name another source (no cycles),
 * its params must be `{name}` in path or query (and every `{name}` a param); child datasets
 * (`children`) are datasets a sink can read.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkGraph, type GraphSpec } from '../../../src/pipeline/graph.js';
import { httpSource } from '../../../activities/sources/http.js';
import { connectionSchema } from '../../../src/connect/connections.js';

const api = connectionSchema.parse({ type: 'http', base_url: 'http://127.0.0.1:1' });
const http = (raw: Record<string, unknown>) => httpSource.schema.parse({ type: 'http', connection: 'api', ...raw });
const issues = (sources: Record<string, Record<string, unknown>>, sinks: GraphSpec['sinks'] = {}) =>
  checkGraph({ sources: Object.fromEntries(Object.entries(sources).map(([k, v]) => [k, http(v)])), standardize: [], preprocess: [], sinks }, { api })
    .map((i) => `${i.path.join('.')}: ${i.message}`);

const customers = { path: '/customers' };

describe('for_each in the graph', () => {
  it('valid: a param in the path, another in the query', () => {
    assert.deepEqual(issues({ customers, orders: { path: '/customers/{cid}/orders', query: { region: '{r}', fixed: 1 }, for_each: { dataset: 'customers', params: { cid: 'id', r: 'region' } } } }), []);
  });

  const invalid: [string, Record<string, Record<string, unknown>>, string[]][] = [
    ['itself', { orders: { path: '/o/{id}', for_each: { dataset: 'orders', params: { id: 'id' } } } }, ["sources.orders.for_each.dataset: source 'orders' cannot take its requests from itself"]],
    ['not a source', { orders: { path: '/o/{id}', for_each: { dataset: 'clients', params: { id: 'id' } } } }, ["sources.orders.for_each.dataset: 'clients' is not a source of this pipeline; sources: orders"]],
    ['a cycle', {
      a: { path: '/a/{x}', for_each: { dataset: 'b', params: { x: 'id' } } },
      b: { path: '/b/{x}', for_each: { dataset: 'a', params: { x: 'id' } } },
    }, ['sources.a.for_each.dataset: for_each cycle: a → b → a (each waits for the next)', 'sources.b.for_each.dataset: for_each cycle: b → a → b (each waits for the next)']],
    ['an unused param', { customers, orders: { path: '/orders', for_each: { dataset: 'customers', params: { cid: 'id' } } } }, ['sources.orders.for_each.params.cid: {cid} does not appear in path or query, so the request would not change per row']],
    ['a placeholder that is no param', { customers, orders: { path: '/c/{cid}/o/{oid}', for_each: { dataset: 'customers', params: { cid: 'id' } } } }, ['sources.orders.path: {oid} is not a for_each param; params: cid']],
  ];
  for (const [name, sources, expected] of invalid) it(`invalid: ${name}`, () => assert.deepEqual(issues(sources), expected));

  it('${incremental.start} is not a placeholder', () => {
    assert.deepEqual(issues({ customers, orders: { path: '/c/{cid}/o', query: { since: '${incremental.start}' }, incremental: { cursor: 'updated_at', initial: '2024-01-01' }, for_each: { dataset: 'customers', params: { cid: 'id' } } } }), []);
  });
});

describe('children in the graph', () => {
  it('a sink can read a child dataset', () => {
    const sinks = { items: { type: 'file', input: 'orders__items', path: '/tmp/x.csv' } } as unknown as GraphSpec['sinks'];
    assert.deepEqual(issues({ orders: { path: '/orders', children: ['items'], key: 'id' } }, sinks), []);
    assert.deepEqual(issues({ orders: { path: '/orders' } }, sinks), ["sinks.items.input: unknown dataset 'orders__items'; known: orders"]);
  });

  it('a child dataset may not shadow a source', () => {
    assert.deepEqual(issues({ orders: { path: '/orders', children: ['items'], key: 'id' }, orders__items: { path: '/items' } }), ["sources.orders.children: child dataset 'orders__items' is also a source: rename one of them"]);
  });
});
