/**
 * The fleet-wide `concurrency` of a rate-limited connection, at workflow level: the real `pipeline`
 * and `connectionLimit` workflows on the Temporal dev server, with mocked activities (ingest stages
 * nothing, each `deliverBatches` call takes a while and is counted while it runs). Three activity
 * workers poll the connection's queue with room for 5 each, so only the lease can keep the calls
 * of three concurrent runs to `concurrency: 2`. A holder that is terminated mid-call loses its lease
 * after its heartbeat_timeout, and the run waiting behind it proceeds.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { connectClient, startRun } from '../../src/client.js';
import { installRuntime, workflowsPath } from '../../src/worker.js';
import { loadPipeline } from '../../src/pipeline/load.js';
import { planOf } from '../../src/cli/start.js';
import { limitWorkflowId, rateLimitQueue } from '../../src/rate-limit.js';
import { runQuery } from '../../src/run-filter.js';
import { startConnectionLimit } from '../../activities/connection-limit.js';
import type { DeliverInput, DeliverResult, FinishRunOutput, IngestInput, IngestOutput, RunReport } from '../../src/run.js';
import { testEnv, randomId } from '../support/harness.js';

installRuntime('ERROR');

/** Calls each run makes through the connection (pending, pending, …, done). */
const CALLS = 4;
const CALL_MS = 300;

let client: Client;
let connection: NativeConnection;
let dir: string;
let queue: string;
const workers: Worker[] = [];
const connections: NativeConnection[] = [];
const running: Promise<void>[] = [];

let inFlight = 0;
let peak = 0;
/** Start and end of every call, by workflow id. */
const calls: { workflowId: string; start: number; end?: number }[] = [];
/** Calls of these workflows hang until their run is gone (the holder that is terminated mid-call). */
const hang = new Set<string>();
/** Calls of these workflows fail for good (a run that fails while it holds the lease). */
const fail = new Set<string>();

const activities = {
  async ingest(input: IngestInput): Promise<IngestOutput> {
    return { ref: { dataset: input.dataset, stage: 'ingest', uri: `mock://${input.dataset}`, rows: 1, bytes: 1, columns: [], sha256: 'x' }, detail: 'mock' };
  },
  async deliverBatches(input: DeliverInput): Promise<DeliverResult> {
    const workflowId = Context.current().info.workflowExecution?.workflowId ?? '';
    const call = { workflowId, start: performance.now() } as (typeof calls)[number];
    calls.push(call);
    if (fail.has(workflowId)) {
      call.end = performance.now();
      throw ApplicationFailure.create({ message: 'the API refused the batch', type: 'DATA', nonRetryable: true });
    }
    peak = Math.max(peak, ++inFlight);
    try {
      // Like Ferry's activities, a hanging call heartbeats: when its run is gone, it is cancelled.
      for (const end = Date.now() + 60_000; hang.has(workflowId) && Date.now() < end && !Context.current().cancellationSignal.aborted;) {
        Context.current().heartbeat();
        await sleep(200);
      }
      if (!hang.has(workflowId)) await sleep(CALL_MS);
    } finally {
      inFlight--;
      call.end = performance.now();
    }
    const mine = calls.filter((c) => c.workflowId === workflowId).length;
    return mine < CALLS ? { pending: true, sink: input.sink, detail: `call ${mine}` } : { sink: input.sink, type: 'http', target: 'mock', rows: 1 };
  },
  async finishRun(): Promise<FinishRunOutput> {
    return { reportUri: 'mock://report.json', versions: {} };
  },
  startConnectionLimit,
};

before(async () => {
  testEnv();
  client = await connectClient();
  connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233' });
  queue = `lease-${randomId()}`;
  dir = await mkdtemp(join(tmpdir(), 'ferry-lease-'));
  process.env.FERRY_FILE_ROOTS = dir;
  await writeFile(join(dir, 'items.ndjson'), '{"id":1}\n');
  await writeFile(join(dir, 'connections.yaml'), 'api:\n  type: http\n  base_url: http://127.0.0.1:9\n  rate_limit: { requests_per_second: 100, concurrency: 2 }\nsolo:\n  type: http\n  base_url: http://127.0.0.1:9\n  rate_limit: { requests_per_second: 100, concurrency: 1 }\n');
  // `failing`: a heartbeat_timeout far beyond the test, so only a release (not the holder check) frees its lease.
  for (const [name, conn, settings] of [['leased', 'api', ''], ['expiring', 'solo', 'settings: { heartbeat_timeout: 2s }\n'], ['failing', 'solo', 'settings: { heartbeat_timeout: 10m }\n']] as const) {
    await writeFile(join(dir, `${name}.yaml`), `name: ${name}\n${settings}sources:\n  items: { type: file, path: ${join(dir, 'items.ndjson')} }\nsinks:\n  out: { type: http, connection: ${conn}, input: items, path: /items }\n`);
  }
  workers.push(await Worker.create({ connection, taskQueue: queue, workflowsPath, activities }));
  for (const conn of ['api', 'solo']) {
    // Three workers with room for 5 calls each: only the fleet-wide lease holds the calls to its concurrency.
    for (let i = 0; i < 3; i++) {
      // One connection each: the SDK allows one worker per queue and client.
      const own = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233' });
      connections.push(own);
      workers.push(await Worker.create({ connection: own, taskQueue: rateLimitQueue(queue, conn), activities, maxConcurrentActivityTaskExecutions: 5 }));
    }
  }
  for (const w of workers) running.push(w.run());
});

after(async () => {
  for (const conn of ['api', 'solo']) await client.workflow.getHandle(limitWorkflowId(queue, conn)).terminate('test over').catch(() => undefined);
  for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
  await Promise.allSettled(running);
  for (const c of connections) await c.close();
  await connection.close();
  await client.connection.close();
  await rm(dir, { recursive: true, force: true });
  delete process.env.FERRY_FILE_ROOTS;
});

async function start(name: string, id: string): Promise<WorkflowHandle> {
  const loaded = await loadPipeline(join(dir, `${name}.yaml`), { connectionsFile: join(dir, 'connections.yaml') });
  return startRun(client, planOf(loaded), { id, taskQueue: queue });
}

test('three runs on one connection with concurrency 2, on three workers with 5 slots each: exactly 2 calls in flight at most, every run completes', async () => {
  const started = performance.now();
  const handles = await Promise.all([0, 1, 2].map((i) => start('leased', `leased-${i}-${randomId()}`)));
  const reports = await Promise.all(handles.map(async (h) => (await h.result()) as RunReport));
  const seconds = (performance.now() - started) / 1000;
  for (const r of reports) assert.equal(r.status, 'completed');
  assert.equal(calls.filter((c) => c.workflowId.startsWith('leased-')).length, 3 * CALLS);
  console.log(`3 runs × ${CALLS} calls of ${CALL_MS} ms at concurrency 2: peak ${peak} in flight, ${seconds.toFixed(1)} s`);
  assert.equal(peak, 2, 'the limit was reached and never exceeded');

  // History per call (MAX_LEASED_CALLS assumes about 15): a run without the paged path has about 40 events.
  const events = (await handles[0]!.fetchHistory()).events!.length;
  console.log(`history of one run with ${CALLS} leased calls: ${events} events`);
  assert.ok(events <= 40 + 16 * CALLS, `${events} events`);

  // The semaphore is a workflow of its own type: `ferry runs` (WorkflowType = 'pipeline') lists only the runs.
  const semaphore = await client.workflow.getHandle(limitWorkflowId(queue, 'api')).describe();
  assert.equal(semaphore.type, 'connectionLimit');
  let listed: string[] = [];
  for (let i = 0; i < 40 && listed.length < 3; i++) {
    listed = [];
    for await (const wf of client.workflow.list({ query: `${runQuery({})} AND TaskQueue = '${queue}'` })) listed.push(wf.workflowId);
    if (listed.length < 3) await sleep(250);
  }
  assert.deepEqual(listed.sort(), handles.map((h) => h.workflowId).sort());
});

test('a holder terminated mid-call loses its lease after its heartbeat_timeout; the run waiting behind it then completes', async () => {
  const holderId = `expiring-holder-${randomId()}`;
  hang.add(holderId);
  const holder = await start('expiring', holderId);
  const until = Date.now() + 20_000;
  while (!calls.some((c) => c.workflowId === holderId) && Date.now() < until) await sleep(50);
  assert.ok(calls.some((c) => c.workflowId === holderId), 'the holder made its call');

  const waiter = await start('expiring', `expiring-waiter-${randomId()}`);
  await sleep(1500);
  assert.equal(calls.filter((c) => c.workflowId === waiter.workflowId).length, 0, 'concurrency 1: the second run waits while the first holds the lease');

  await holder.terminate('killed mid-call');
  const terminatedAt = performance.now();
  assert.equal(((await waiter.result()) as RunReport).status, 'completed');
  const first = calls.find((c) => c.workflowId === waiter.workflowId)!;
  const waited = (first.start - terminatedAt) / 1000;
  console.log(`lease of the terminated holder freed ${waited.toFixed(2)} s after terminate (heartbeat_timeout 2 s)`);
  // The grant is checked every heartbeat_timeout (2 s) after it was made; the holder was granted >1.5 s earlier.
  assert.ok(waited >= 0 && waited < 4, `the waiter got the slot within one check interval, waited ${waited.toFixed(2)} s`);
});

test('a run whose call fails gives its lease back on the way out: the next run on the connection proceeds at once', async () => {
  const failedId = `failing-${randomId()}`;
  fail.add(failedId);
  const failed = await start('failing', failedId);
  await assert.rejects(failed.result());
  const ended = performance.now();
  const next = await start('failing', `failing-next-${randomId()}`);
  try {
    const report = await Promise.race([next.result() as Promise<RunReport>, sleep(20_000).then(() => assert.fail('the next run still waits for the lease after 20 s'))]);
    assert.equal(report.status, 'completed');
  } finally {
    await next.terminate('test over').catch(() => undefined); // a run left waiting for a lease on the shared server
  }
  const first = calls.find((c) => c.workflowId === next.workflowId)!;
  const waited = (first.start - ended) / 1000;
  // Without the release the lease would stay held until the holder check, heartbeat_timeout (10 min) after the grant.
  assert.ok(waited < 10, `the next run got the lease ${waited.toFixed(2)} s after the failed run ended`);
});
