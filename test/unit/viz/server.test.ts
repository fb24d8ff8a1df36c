/**
 * `ferry serve` without Temporal: pages and JSON from the pipeline folder, clear JSON errors (400,
 * 404, 405, 503), loopback-only answers, and a new connection attempt on each request after one failed.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile, copyFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { runFilter, startVizServer, type VizServer } from '../../../src/viz/server.js';
import { TransientError } from '../../../src/errors.js';
import { CSP } from '../../../src/viz/page.js';
import { settings } from '../../../src/config.js';

let server: VizServer;
let dir: string;
let connects = 0;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-serve-'));
  await copyFile('config/pipelines/retail.yaml', join(dir, 'retail.yaml'));
  await writeFile(join(dir, 'broken.yml'), 'name: broken\nsources: {}\n');
  await writeFile(join(dir, 'notes.txt'), 'not a pipeline');
  server = await startVizServer({
    dir, host: '127.0.0.1', port: 0,
    connect: async () => {
      connects += 1;
      throw new TransientError('cannot reach the Temporal server at 127.0.0.1:1 (connection refused); start one with `ferry dev` or set TEMPORAL_ADDRESS');
    },
  });
});
after(async () => {
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

function get(path: string, options: { method?: string; host?: string } = {}): Promise<{ status: number; type: string; headers: Record<string, unknown>; body: string }> {
  const url = new URL(path, server.url);
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.host ? { host: options.host } : {} }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, type: String(res.headers['content-type']), headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('GET /api/pipelines lists every pipeline file, a broken one with its problems', async () => {
  const res = await get('/api/pipelines');
  assert.equal(res.status, 200);
  assert.equal(res.type, 'application/json; charset=utf-8');
  const body = JSON.parse(res.body) as { pipelines: Record<string, unknown>[] };
  assert.equal(body.pipelines.length, 2);
  assert.match(String(body.pipelines[0]!.error), /^.*broken\.yml:2:10 {2}sources: a pipeline needs at least one source$/m);
  assert.deepEqual({ ...body.pipelines[1], file: undefined }, {
    name: 'retail', file: undefined, description: 'Enriched sales with USD amounts, from three kinds of source to three kinds of sink', nodes: 29, edges: 28,
  });
});

test('GET /api/pipelines/<name> is the graph; an unknown name is a 404 in JSON', async () => {
  const res = await get('/api/pipelines/retail');
  assert.equal(res.status, 200);
  const graph = JSON.parse(res.body) as { pipeline: string; nodes: unknown[]; edges: unknown[] };
  assert.deepEqual([graph.pipeline, graph.nodes.length, graph.edges.length], ['retail', 29, 28]);
  const missing = await get('/api/pipelines/nope');
  assert.deepEqual([missing.status, JSON.parse(missing.body)], [404, { error: `no pipeline nope in ${dir}`, status: 404 }]);
});

test('the run API: a bad filter is a 400, no Temporal is a 503, an unknown route a 404, all JSON', async () => {
  assert.deepEqual(JSON.parse((await get('/api/runs?status=done')).body), { error: 'status must be one of running, completed, failed, cancelled, terminated, timed out, continued; got done', status: 400 });
  assert.deepEqual(JSON.parse((await get('/api/runs?limit=0')).body), { error: 'limit must be a whole number from 1 to 1000; got 0', status: 400 });
  const before = connects;
  const down = await get('/api/runs?pipeline=retail&limit=5');
  assert.equal(down.status, 503);
  assert.deepEqual(JSON.parse(down.body), { error: 'Temporal is not reachable: connection refused', status: 503 });
  await get('/api/runs/some-run');
  assert.equal(connects, before + 2, 'a failed connection is tried again on the next request');
  const none = await get('/api/nothing/here');
  assert.deepEqual([none.status, JSON.parse(none.body)], [404, { error: 'no API route /api/nothing/here', status: 404 }]);
});

test('pages without Temporal: the index lists the pipelines, a pipeline page draws its graph and says why there is no run', async () => {
  const index = await get('/');
  assert.equal(index.status, 200);
  assert.equal(index.headers['content-security-policy'], CSP);
  assert.ok(index.body.includes('<a href="/pipelines/retail">retail</a>'));
  assert.ok(index.body.includes('Temporal is not reachable (connection refused): no run list.'));
  assert.match(index.body, /<tr data-pipeline="broken"><td>broken<\/td>/);
  const page = await get('/pipelines/retail');
  assert.equal(page.status, 200);
  assert.equal(page.body.match(/<g class="node /g)?.length, 29);
  assert.ok(page.body.includes(`Temporal is not reachable at ${settings().temporalAddress} (connection refused): the graph without a run.`));
  assert.equal((await get('/pipelines/nope')).status, 404);
  assert.equal((await get('/pipelines/broken')).status, 422);
});

test('read-only and loopback-only', async () => {
  const post = await get('/api/pipelines', { method: 'POST' });
  assert.deepEqual([post.status, JSON.parse(post.body)], [405, { error: 'POST is not allowed: this server is read-only', status: 405 }]);
  const rebound = await get('/api/pipelines', { host: 'attacker.example:4141' });
  assert.deepEqual([rebound.status, JSON.parse(rebound.body)], [403, { error: 'this server answers requests to a loopback address only', status: 403 }]);
  assert.equal((await get('/api/pipelines', { host: 'localhost:4141' })).status, 200);
});

test('/api/runs filters as ferry runs does: its spellings, since and trigger; a parameter that is no filter is a 400, not ignored', () => {
  const q = (s: string) => runFilter(new URLSearchParams(s));
  assert.deepEqual(q('status=timed-out'), { status: 'timed out' });
  assert.deepEqual(q('status=canceled&pipeline=p'), { pipeline: 'p', status: 'cancelled' });
  assert.deepEqual(q('status=timed%20out'), { status: 'timed out' });
  assert.deepEqual(q('trigger=retry&since=2024-01-05&limit=3'), { since: new Date('2024-01-05T00:00:00.000Z'), trigger: 'retry', limit: 3 });
  const ago = Date.now() - q('since=30m').since!.getTime();
  assert.ok(ago >= 1_799_000 && ago < 1_860_000, String(ago)); // the wall clock may step back a millisecond between the two readings
  assert.throws(() => q('trigger=cron'), { status: 400, message: 'trigger must be one of cli, schedule, client, retry; got cron' });
  assert.throws(() => q('since=yesterday'), { status: 400, message: 'since must be a duration such as 30m, 2h or 7d, or a date such as 2024-01-05 or 2024-01-05T06:00:00Z; got yesterday' });
  assert.throws(() => q('pipline=retail'), { status: 400, message: 'unknown parameter pipline: /api/runs takes pipeline, status, since, trigger, limit' });
});
