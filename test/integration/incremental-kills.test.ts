/**
 * Incremental loads with an honest watermark, on the real services: a PostgreSQL table that grows
 * between runs, read incrementally on updated_at, delivered to an append and an upsert sink, while
 * the worker (its own process) is SIGKILLed 20 times at every boundary: mid-ingest, after ingest,
 * mid-deliver, after one sink committed, after all committed but before the watermark commit, and
 * after the commit but before it was reported. At the end every sink holds every source row exactly
 * once and the watermark is the greatest updated_at. Also: one kill at the DEFAULT heartbeat
 * timeout, and a run whose sink is down leaves the watermark where it was.
 *
 *   node --import tsx --test --test-reporter=spec test/integration/incremental-kills.test.ts
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { Client } from '@temporalio/client';
import { workflowsPath } from '../../src/worker.js';
import { connectClient, startRun } from '../../src/client.js';
import { planOf } from '../../src/cli/start.js';
import { resolveConnection } from '../../src/connect/connections.js';
import { loadPipeline, loadConnections } from '../../src/pipeline/load.js';
import { pgPool, closePgPools } from '../../src/connect/pg.js';
import { s3Client } from '../../src/connect/s3.js';
import { DeleteBucketCommand, DeleteObjectsCommand, GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { LocalStagingStore } from '../../src/staging/store.js';
import { readState } from '../../src/state/store.js';
import type { RunReport } from '../../src/run.js';
import { testEnv, randomId } from '../support/harness.js';

testEnv();
const id = randomId();
const schema = `it7_inc_${id}`;
const taskQueue = `ferry-it7-inc-${id}`;
const stagingRoot = `.ferry/test-staging-inc-${id}`;
const bucket = `it7-inc-${id}`;
const s3 = s3Client({ type: 's3', endpoint: process.env.S3_ENDPOINT, region: 'us-east-1', access_key_id: process.env.AWS_ACCESS_KEY_ID!, secret_access_key: process.env.AWS_SECRET_ACCESS_KEY!, force_path_style: true });
const staging = new LocalStagingStore(stagingRoot);
const noop = () => undefined;
const quiet = { trace: noop, debug: noop, info: noop, warn: noop, error: noop, log: noop };

let client: Client;
let dir: string;
let bundlePath: string;
let nextId = 1;
const workers: ChildProcess[] = [];

const sql = async <T = Record<string, unknown>>(text: string, values: unknown[] = []): Promise<T[]> => {
  const pool = pgPool(resolveConnection(await loadConnections('config/connections.yaml'), 'warehouse', 'postgres'));
  return (await pool.query(text, values)).rows as T[];
};

/** n new rows, each later than every row before it (microseconds included). */
async function grow(n: number): Promise<void> {
  const from = nextId;
  nextId += n;
  await sql(`INSERT INTO ${schema}.events (id, payload, updated_at)
    SELECT i, 'row ' || i, TIMESTAMPTZ '2024-01-01 00:00:00+00' + i * INTERVAL '1 second' + (i % 997) * INTERVAL '1 microsecond'
    FROM generate_series($1::bigint, $2::bigint) AS i`, [from, nextId - 1]);
}

type Worker = { child: ChildProcess; lines: string[] };

async function startWorker(delays: Record<string, number> = {}): Promise<Worker> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/integration/incremental-worker.ts'], {
    env: { ...process.env, FERRY_TASK_QUEUE: taskQueue, FERRY_STAGING: stagingRoot, IT_BUNDLE: bundlePath, IT_DELAYS: JSON.stringify(delays), FERRY_LOG_LEVEL: 'ERROR' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  workers.push(child);
  const w: Worker = { child, lines: [] };
  let buf = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    const parts = buf.split('\n');
    buf = parts.pop()!;
    w.lines.push(...parts);
  });
  await waitFor('the worker to start', () => w.lines.some((l) => l.startsWith('ready')), 60_000);
  return w;
}

async function kill(w: Worker): Promise<void> {
  if (w.child.exitCode !== null || w.child.signalCode !== null) return;
  const exited = new Promise((r) => w.child.once('exit', r));
  w.child.kill('SIGKILL');
  await exited;
}

async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
  return true;
}

async function writePipeline(name: string, settings: string, sinks: string, connections = 'config/connections.yaml'): Promise<string> {
  const file = join(dir, `${name}.yaml`);
  await writeFile(file, `name: ${name}
sources:
  events:
    type: postgres
    connection: warehouse
    # pg_sleep: the read takes a moment, so a kill can land in the middle of it
    query: WITH pause AS MATERIALIZED (SELECT pg_sleep(0.3)) SELECT e.id, e.payload, e.updated_at FROM ${schema}.events e, pause WHERE e.updated_at > \${incremental.start} ORDER BY e.id
    incremental: { cursor: updated_at, initial: '2000-01-01T00:00:00Z' }
sinks:
${sinks}
settings:
${settings}
`);
  return (await loadPipeline(file, { connectionsFile: connections })).file;
}

const SINKS = (prefix: string) => `  appended: { type: postgres, connection: warehouse, input: events, table: ${schema}.${prefix}_appended, mode: append }
  upserted: { type: postgres, connection: warehouse, input: events, table: ${schema}.${prefix}_upserted, mode: upsert, keys: [id] }`;

async function start(file: string, runId: string, connections = 'config/connections.yaml') {
  return startRun(client, planOf(await loadPipeline(file, { connectionsFile: connections })), { id: runId, taskQueue });
}

/** Every sink table holds exactly the source's rows: no duplicates, no gaps, values equal. */
async function assertExactlyOnce(table: string): Promise<void> {
  const [counts] = await sql<{ n: string; ids: string; source: string }>(`SELECT (SELECT count(*) FROM ${table}) AS n, (SELECT count(DISTINCT id) FROM ${table}) AS ids, (SELECT count(*) FROM ${schema}.events) AS source`);
  assert.equal(counts!.n, counts!.source, `${table}: ${counts!.n} rows for ${counts!.source} source rows`);
  assert.equal(counts!.ids, counts!.n, `${table}: duplicates`);
  const missing = await sql(`SELECT id, payload, updated_at FROM ${schema}.events EXCEPT SELECT id, payload, updated_at FROM ${table}`);
  const extra = await sql(`SELECT id, payload, updated_at FROM ${table} EXCEPT SELECT id, payload, updated_at FROM ${schema}.events`);
  assert.deepEqual([missing.length, extra.length], [0, 0], `${table}: ${missing.length} rows missing, ${extra.length} rows not in the source`);
}

async function maxUpdatedAt(): Promise<string> {
  const [r] = await sql<{ v: string }>(`SELECT to_char(max(updated_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS v FROM ${schema}.events`);
  return r!.v;
}

before(async () => {
  client = await connectClient();
  dir = await mkdtemp(join(tmpdir(), 'ferry-it7-inc-'));
  bundlePath = join(dir, 'workflows.js');
  await writeFile(bundlePath, (await bundleWorkflowCode({ workflowsPath, logger: quiet })).code);
  await mkdir(stagingRoot, { recursive: true });
  await sql(`CREATE SCHEMA ${schema}`);
  await sql(`CREATE TABLE ${schema}.events (id bigint PRIMARY KEY, payload text NOT NULL, updated_at timestamptz NOT NULL)`);
});

after(async () => {
  for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
  await sql(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
  await closePgPools();
  await client?.connection.close();
  await rm(stagingRoot, { recursive: true, force: true });
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket })).catch(() => undefined);
  const keys = (listed?.Contents ?? []).map((o) => ({ Key: o.Key! }));
  if (keys.length) await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys } }));
  await s3.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
});

// Boundaries in the order a run passes them. A kill just after `deliver:appended:after` lands
// while `upserted` (slower: it waits at its start) has not committed: "after one sink committed".
const POINTS = ['ingest:before', 'ingest:after', 'deliver:appended:before', 'deliver:upserted:before', 'deliver:appended:after', 'deliver:upserted:after', 'commit:before', 'commit:after'];
const DELAYS = Object.fromEntries(POINTS.map((p) => [p, p === 'deliver:upserted:before' ? 1200 : 400]));

test('20 kills at every boundary: each sink has every row exactly once, and the watermark is the greatest updated_at', { timeout: 420_000 }, async () => {
  const name = `it7inc${id}`;
  // Besides the two tables, one CSV object per run in MinIO: together they must hold every row once.
  const lake = `  lake: { type: s3, connection: lake, input: events, bucket: ${bucket}, key: 'events/{run_id}.csv', create_bucket: true }`;
  const file = await writePipeline(name, '  heartbeat_timeout: 3s\n  retry: { initial_interval: 200ms, maximum_interval: 1s }', `${SINKS('k')}\n${lake}`);
  // Each boundary at least twice, the rest at random; two or three kills per run, in run order.
  const plan = [...POINTS, ...POINTS, ...Array.from({ length: 4 }, () => POINTS[Math.floor(Math.random() * POINTS.length)]!)];
  const runs: string[][] = [];
  for (let i = plan.length; i > 0;) {
    const take = Math.min(i, 2 + Math.floor(Math.random() * 2));
    runs.push(plan.splice(Math.floor(Math.random() * (plan.length - take + 1)), take).sort((a, b) => POINTS.indexOf(a) - POINTS.indexOf(b)));
    i -= take;
  }
  runs.push([]); // and one last run without a kill
  let worker = await startWorker(DELAYS);
  const killed: string[] = [];
  const reports: RunReport[] = [];
  for (const [n, points] of runs.entries()) {
    await grow(20 + Math.floor(Math.random() * 40));
    const handle = await start(file, `${name}-run-${n}`);
    const result = handle.result() as Promise<RunReport>;
    let done = false;
    void result.then(() => (done = true), () => (done = true));
    for (const point of points) {
      const seen = worker.lines.length;
      const reached = await waitFor(`mark ${point}`, () => done || worker.lines.slice(seen).includes(`mark ${point}`), 120_000);
      if (done || !reached) break;
      await sleep(Math.random() * 250); // a random moment at that boundary
      await kill(worker);
      killed.push(point);
      worker = await startWorker(DELAYS);
    }
    reports.push(await result);
  }
  await kill(worker);
  console.log(`kills: ${killed.length} — ${POINTS.map((p) => `${p} ×${killed.filter((k) => k === p).length}`).join(', ')}`);
  assert.ok(killed.length >= 20, `only ${killed.length} kills landed`);
  for (const p of POINTS) assert.ok(killed.includes(p), `no kill at ${p}`);

  await assertExactlyOnce(`${schema}.k_appended`);
  await assertExactlyOnce(`${schema}.k_upserted`);
  const objects = (await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'events/' }))).Contents ?? [];
  assert.equal(objects.length, runs.length);
  const fromLake: string[] = [];
  for (const o of objects) {
    const text = await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: o.Key! }))).Body!.transformToString();
    const [header, ...lines] = text.trim().split('\n');
    assert.equal(header, 'id,payload,updated_at');
    fromLake.push(...lines.map((l) => l.split(',').slice(0, 2).join(',')));
  }
  const expected = (await sql<{ r: string }>(`SELECT id || ',' || payload AS r FROM ${schema}.events ORDER BY id`)).map((r) => r.r);
  assert.deepEqual(fromLake.sort((a, b) => Number(a.split(',')[0]) - Number(b.split(',')[0])), expected, 'the run objects hold every row exactly once');
  const top = await maxUpdatedAt();
  const state = (await readState(staging, name, 'events'))!.state;
  assert.deepEqual([state.value, state.type, state.cursor], [top, 'timestamptz', 'updated_at']);
  assert.equal(state.runKey, `${name}-run-${runs.length - 1}`);
  const last = reports.at(-1)!;
  assert.deepEqual(last.watermarks?.events, { from: state.history[1]?.value, to: top });
});

test('a kill at the default heartbeat timeout (20 s) after one sink committed: exactly once, watermark moved once', { timeout: 180_000 }, async () => {
  const name = `it7incdef${id}`;
  const file = await writePipeline(name, '  stall_timeout: 5m', SINKS('d'));
  await sql(`TRUNCATE ${schema}.events`);
  nextId = 1;
  await grow(30);
  let worker = await startWorker({ 'deliver:upserted:before': 1500, 'deliver:appended:after': 400 });
  const handle = await start(file, `${name}-run-0`);
  await waitFor('appended to commit', () => worker.lines.includes('mark deliver:appended:after'), 60_000);
  await kill(worker);
  worker = await startWorker();
  const report = (await handle.result()) as RunReport;
  await kill(worker);
  await assertExactlyOnce(`${schema}.d_appended`);
  await assertExactlyOnce(`${schema}.d_upserted`);
  assert.deepEqual(report.watermarks?.events, { to: await maxUpdatedAt() });
  assert.equal((await readState(staging, name, 'events'))!.state.history.length, 1);
});

test('a run whose sink is down leaves the watermark where it was; the re-run loads the same window', { timeout: 180_000 }, async () => {
  const name = `it7incdown${id}`;
  const conns = join(dir, 'connections.yaml');
  // warehouse_down: the same database on a port where nothing listens.
  await writeFile(conns, `${await readFile('config/connections.yaml', 'utf8')}\nwarehouse_down:\n  type: postgres\n  host: 127.0.0.1\n  port: 9\n  database: test\n  user: postgres\n`);
  const sink = (connection: string) => `  upserted: { type: postgres, connection: ${connection}, input: events, table: ${schema}.f_upserted, mode: upsert, keys: [id], retry: { maximum_attempts: 2, initial_interval: 100ms } }`;
  const upFile = await writePipeline(name, '  heartbeat_timeout: 5s', sink('warehouse'), conns);
  const downFile = join(dir, `${name}-down.yaml`);
  await writeFile(downFile, (await readFile(upFile, 'utf8')).replace('connection: warehouse, input', 'connection: warehouse_down, input'));
  await sql(`TRUNCATE ${schema}.events`);
  nextId = 1;
  const worker = await startWorker();
  await grow(10);
  const first = (await (await start(upFile, `${name}-run-0`, conns)).result()) as RunReport;
  const committed = (await readState(staging, name, 'events'))!.state;
  assert.deepEqual(first.watermarks?.events, { to: committed.value });

  await grow(15);
  await assert.rejects((await start(downFile, `${name}-run-1`, conns)).result());
  const after = (await readState(staging, name, 'events'))!.state;
  assert.deepEqual([after.value, after.history.length], [committed.value, 1], 'the failed run moved the watermark');

  const rerun = (await (await start(upFile, `${name}-run-1`, conns)).result()) as RunReport;
  await kill(worker);
  const ingested = rerun.stages.find((s) => s.stage === 'ingest')!.datasets.find((d) => d.dataset === 'events')!;
  assert.equal(ingested.rows, 15, 'the re-run reads the window the failed run read');
  await assertExactlyOnce(`${schema}.f_upserted`);
  assert.deepEqual(rerun.watermarks?.events, { from: committed.value, to: await maxUpdatedAt() });
});
