/**
 * Rate-limited connections: the queue name shared by worker and workflow, which connections get
 * one, and which sources and sinks go through it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rateLimitQueue, rateLimitedConnections, rateLimitOfConnection } from '../../../src/rate-limit.js';
import { rateLimitOf } from '../../../workflows/paged.js';
import type { RunPlan } from '../../../src/run.js';
import type { ConnectionSpec } from '../../../src/connect/connections.js';

const connections = {
  limited: { type: 'http', base_url: 'http://x', headers: {}, timeout: '30s', rate_limit: { requests_per_second: 5, concurrency: 2 } },
  free: { type: 'http', base_url: 'http://y', headers: {}, timeout: '30s' },
  warehouse: { type: 'postgres', host: 'h', port: 5432, database: 'd', user: 'u', ssl: false },
} as Record<string, ConnectionSpec>;

test('one queue per rate-limited connection, beside the main queue', () => {
  assert.equal(rateLimitQueue('ferry', 'limited'), 'ferry.http.limited');
  assert.deepEqual(rateLimitedConnections(connections), [{ connection: 'limited', limit: { requests_per_second: 5, concurrency: 2, fleet: true } }]);
  assert.deepEqual(rateLimitedConnections({}), []);
});

test('http sources and sinks on a rate-limited connection go through it; others do not', () => {
  const plan = { connections } as unknown as RunPlan;
  const http = (connection: string) => ({ type: 'http', connection, path: '/' }) as unknown as RunPlan['spec']['sources'][string];
  assert.deepEqual(rateLimitOf(plan, http('limited')), { requests_per_second: 5, concurrency: 2, fleet: true });
  // Without concurrency only the rate applies: one request at a time per worker, no fleet-wide lease.
  assert.deepEqual(rateLimitOfConnection({ type: 'http', base_url: 'http://x', headers: {}, timeout: '30s', rate_limit: { requests_per_second: 5 } } as never), { requests_per_second: 5, concurrency: 1, fleet: false });
  assert.equal(rateLimitOf(plan, http('free')), undefined);
  assert.equal(rateLimitOf(plan, http('missing')), undefined);
  assert.equal(rateLimitOf(plan, { type: 'postgres', connection: 'warehouse', query: 'select 1' } as unknown as RunPlan['spec']['sources'][string]), undefined);
});
