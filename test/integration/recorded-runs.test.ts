/**
 * The runs whose histories the replay suite keeps besides the example's (retail.test.ts,
 * failures.test.ts): an activity retried after a 503, a run cancelled while its source reads, a
 * run started by a Temporal Schedule, a fanned-out incremental read, a governed run decided at the
 * gate (the `decide` Update), a gate that times out, and a source on a rate-limited connection
 * (the fleet-wide lease's signals). Each test checks the shape that makes its history worth
 * replaying; `npm run record-histories` writes them to test/replay/histories/.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { startHarness, randomId, recordHistory } from '../support/harness.js';
import { ferry } from '../support/ferry-cli.js';
import { pgAdapters } from '../support/pg-adapters.js';
import { startReceiver, type Receiver } from '../support/receiver.js';
import { loadPipeline } from '../../src/pipeline/load.js';
import { planOf } from '../../src/cli/start.js';
import { runMetadata, runSearchAttributes, startRun } from '../../src/client.js';
import { limitWorkflowId } from '../../src/rate-limit.js';
import type { RunPlan, RunReport } from '../../src/run.js';

let h: Awaited<ReturnType<typeof startHarness>>;
let api: Receiver;
// Relative to the repository: a recorded history must carry no machine path.
const dir = join('.ferry', 'test-tmp', `recorded-${randomId()}`);
/** The pii step's HMAC key (a secret: no history may carry it). */
const HASH_KEY = `replay-hash-${randomId()}${randomId()}`;

before(async () => {
  api = await startReceiver();
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'connections.yaml'), `${await readFile('config/connections.yaml', 'utf8')}
receiver:\n  type: http\n  base_url: ${api.url}
limited:\n  type: http\n  base_url: ${api.url}\n  rate_limit: { requests_per_second: 50, concurrency: 1 }\n`);
  // The harness's worker serves the rate-limited connection's queue from the connections file.
  process.env.FERRY_CONNECTIONS = join(dir, 'connections.yaml');
  process.env.FERRY_REPLAY_HASH_KEY = HASH_KEY;
  h = await startHarness();
});
after(async () => {
  await api?.close();
  await h?.stop();
  await rm(dir, { recursive: true, force: true });
  for (const k of ['FERRY_CONNECTIONS', 'FERRY_REPLAY_HASH_KEY']) delete process.env[k];
});

const secrets = () => [h.token, process.env.AWS_SECRET_ACCESS_KEY!, HASH_KEY];

async function planFor(name: string, yaml: string): Promise<RunPlan> {
  await writeFile(join(dir, `${name}.yaml`), yaml);
  return planOf(await loadPipeline(join(dir, `${name}.yaml`), { connectionsFile: join(dir, 'connections.yaml') }));
}

/** Products from the example's CSV, posted to the receiver. */
const productsToReceiver = (name: string) => `name: ${name}
description: products posted to an API
sources:
  products: { type: file, path: examples/retail/data/products.csv }
sinks:
  api: { type: http, connection: receiver, input: products, path: /products, batch_size: 2 }
`;

/** Attempts of each activity type, from ActivityTaskStarted events. */
async function attempts(handle: Awaited<ReturnType<typeof startRun>>): Promise<Record<string, number>> {
  const history = await handle.fetchHistory();
  const scheduled = new Map<string, string>();
  const out: Record<string, number> = {};
  for (const e of history.events ?? []) {
    if (e.activityTaskScheduledEventAttributes) scheduled.set(String(e.eventId), e.activityTaskScheduledEventAttributes.activityType?.name ?? '');
    const started = e.activityTaskStartedEventAttributes;
    if (started) out[scheduled.get(String(started.scheduledEventId))!] = started.attempt ?? 1;
  }
  return out;
}

test('retried: the sink gets a 503 once, its second attempt delivers (recorded as retried.json)', async () => {
  let refused = 0;
  api.failBatch = (key) => (key.endsWith('-api-1') && refused++ === 0 ? 503 : undefined);
  const plan = await planFor('retried', productsToReceiver('replay-retried'));
  const handle = await startRun(h.client, plan, { id: `replay-retried-${randomId()}`, taskQueue: h.taskQueue });
  const report = (await handle.result()) as RunReport;
  assert.equal(report.status, 'completed');
  assert.deepEqual(report.sinks.map((s) => [s.sink, s.status, s.rows]), [['api', 'delivered', 6]]);
  assert.deepEqual(await attempts(handle), { ingest: 1, deliver: 2, finishRun: 1 });
  await recordHistory(handle, 'retried', secrets());
});

test('cancelled: a run cancelled while its source reads (recorded as cancelled.json)', async () => {
  api.getDelayMs = 200;
  const plan = await planFor('cancelled', `name: replay-cancelled
sources:
  items:
    type: http
    connection: receiver
    path: /items
    records: data
    paginate: { type: page_number, size_param: per_page, size: 2, total_pages_path: total_pages }
    max_pages: 1000000
sinks:
  out: { type: file, input: items, path: ${dir}/cancelled.csv }
`);
  const handle = await startRun(h.client, plan, { id: `replay-cancelled-${randomId()}`, taskQueue: h.taskQueue });
  const before = api.requests;
  await h.waitFor('a few pages', () => api.requests >= before + 3, 60_000);
  await handle.cancel();
  const err = await handle.result().then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof WorkflowFailedError);
  const memo = (await handle.describe()).memo as { report?: RunReport };
  assert.equal(memo.report?.status, 'cancelled', 'a cancelled run keeps its report in its memo');
  assert.equal(memo.report?.error, 'cancelled during ingest');
  await recordHistory(handle, 'cancelled', secrets());
});

test('scheduled: a run a Temporal Schedule started knows its scheduled time (recorded as scheduled.json)', async () => {
  const name = `replay-scheduled-${randomId()}`;
  const plan = await planFor('scheduled', productsToReceiver(name));
  // What `ferry schedule apply` deploys: the plan without a run time; the workflow reads Temporal's.
  const schedule = await h.client.schedule.create({
    scheduleId: name,
    spec: { calendars: [{ hour: 2 }] },
    action: { type: 'startWorkflow', workflowType: 'pipeline', workflowId: name, args: [plan], taskQueue: h.taskQueue, typedSearchAttributes: runSearchAttributes(plan.pipeline, undefined, 'schedule'), ...runMetadata(plan) },
    state: { paused: true },
  });
  try {
    await schedule.backfill({ start: new Date('2024-01-05T02:00:00Z'), end: new Date('2024-01-05T02:00:00Z'), overlap: 'ALLOW_ALL' });
    const id = `${name}-2024-01-05T02:00:00Z`;
    await h.waitFor('the scheduled run', async () => (await h.client.workflow.getHandle(id).describe().then(() => true, () => false)), 30_000);
    const handle = h.client.workflow.getHandle(id);
    const report = (await handle.result()) as RunReport;
    assert.deepEqual(report.run, { key: id, time: '2024-01-05T02:00:00.000Z', date: '2024-01-05', timezone: 'UTC', trigger: 'schedule' });
    const attrs = (await handle.describe()).searchAttributes;
    assert.deepEqual([attrs.FerryPipeline, attrs.FerryRunDate, attrs.FerryTrigger], [[name], ['2024-01-05'], ['schedule']]);
    await recordHistory(handle as never, 'scheduled', secrets());
  } finally {
    await schedule.delete();
  }
});

test('fanned-out incremental: a partitioned postgres read whose watermark is committed after the sink (recorded as fan-out-incremental.json)', async () => {
  const pg = await pgAdapters();
  const schema = `replay_inc_${randomId()}`;
  try {
    await pg.sql(`CREATE SCHEMA ${schema}; CREATE TABLE ${schema}.events AS SELECT g AS id, timestamptz '2024-01-01 00:00Z' + g * interval '1 minute' AS updated_at FROM generate_series(1, 30) g`);
    const plan = await planFor('fan-out-incremental', `name: replay-fan-out-incremental-${randomId()}
sources:
  events:
    type: postgres
    connection: warehouse
    query: SELECT id, updated_at FROM ${schema}.events
    partition: { column: id, count: 3 }
    incremental: { cursor: updated_at }
sinks:
  out: { type: file, input: events, path: ${dir}/events.csv }
`);
    const handle = await startRun(h.client, plan, { id: `replay-fan-out-incremental-${randomId()}`, taskQueue: h.taskQueue });
    const report = (await handle.result()) as RunReport;
    assert.deepEqual(report.sinks.map((s) => [s.sink, s.status, s.rows]), [['out', 'delivered', 30]]);
    assert.deepEqual(report.watermarks, { events: { to: '2024-01-01T00:30:00.000000Z' } });
    assert.deepEqual(await attempts(handle), { planParts: 1, ingest: 1, combineParts: 1, deliver: 1, commitWatermarks: 1, finishRun: 1 });
    await recordHistory(handle, 'fan-out-incremental', secrets());
  } finally {
    await pg.sql(`DROP SCHEMA ${schema} CASCADE`);
    await pg.close();
  }
});

/** The types of a history's events (EVENT_TYPE_… without the prefix), in order. */
async function eventTypes(handle: Awaited<ReturnType<typeof startRun>>): Promise<string[]> {
  const { events } = JSON.parse(historyToJSON(await handle.fetchHistory())) as { events: { eventType: string }[] };
  return events.map((e) => e.eventType.replace(/^EVENT_TYPE_/, ''));
}

/**
 * Products with a quality section: a row rule that quarantines (P04 has no category), and a row
 * rule that asks (P03 costs more than 100); the names are hashed by a pii step in standardize.
 */
const governedPipeline = (name: string, ask = '') => `name: ${name}
sources:
  products: { type: file, path: examples/retail/data/products.csv }
standardize:
  - type: pii
    input: products
    hash_key: \${env:FERRY_REPLAY_HASH_KEY}
    columns:
      name: hash
quality:${ask}
  rules:
    - { rule: not_null, dataset: products, columns: [category], on_fail: quarantine }
    - { rule: range, dataset: products, column: unit_price, max: 100, on_fail: ask }
sinks:
  out: { type: file, input: products, path: ${dir}/${name}.csv }
  rejects: { type: file, input: products_rejects, path: ${dir}/${name}_rejects.csv }
`;

async function untilWaiting(id: string): Promise<RunReport> {
  let report: RunReport | undefined;
  await h.waitFor(`${id} to wait for a decision`, async () => {
    report = await h.client.workflow.getHandle(id).query<RunReport>('progress').catch(() => undefined);
    return report?.status === 'waiting';
  }, 90_000);
  return report!;
}

test('governed: a pii step, a rule that quarantines and one that asks; `ferry quarantine` decides through the decide Update (recorded as governed.json)', async () => {
  const plan = await planFor('governed', governedPipeline('replay-governed'));
  const handle = await startRun(h.client, plan, { id: `replay-governed-${randomId()}`, taskQueue: h.taskQueue });
  const waiting = await untilWaiting(handle.workflowId);
  assert.deepEqual(waiting.gate?.rules, ['range:products.unit_price']);
  // The decision as a user sends it: the CLI asks the run, then sends the `decide` Update.
  const decided = await ferry(['quarantine', handle.workflowId, '--by', 'replay-recorder', '--comment', 'P03 is priced by hand']);
  assert.equal(decided.code, 0, decided.stderr);
  const report = (await handle.result()) as RunReport;
  assert.equal(report.status, 'completed');
  assert.equal(report.quality?.verdict, 'ask');
  assert.deepEqual(report.quality?.outcomes.map((o) => [o.name, o.onFail, o.status, o.failed]), [
    ['not_null:products.category', 'quarantine', 'failed', 1],
    ['range:products.unit_price', 'ask', 'failed', 1],
  ]);
  assert.deepEqual([report.decision?.decision, report.decision?.by, report.decision?.comment, report.decision?.timedOut], ['quarantine', 'replay-recorder', 'P03 is priced by hand', undefined]);
  assert.deepEqual(report.sinks.map((s) => [s.sink, s.status, s.rows]), [['out', 'delivered', 4], ['rejects', 'delivered', 2]]);
  const kept = (await readFile(join(dir, 'replay-governed.csv'), 'utf8')).trim().split('\n').slice(1).map((l) => l.split(','));
  assert.deepEqual(kept.map((r) => r[0]), ['P01', 'P02', 'P05', 'P99']);
  for (const r of kept) assert.match(r[1]!, /^[0-9a-f]{64}$/, 'the pii step hashed the name');
  assert.deepEqual((await handle.describe()).searchAttributes.FerryGate, ['quarantine']);

  const types = await eventTypes(handle);
  for (const t of ['WORKFLOW_EXECUTION_UPDATE_ACCEPTED', 'WORKFLOW_EXECUTION_UPDATE_COMPLETED', 'UPSERT_WORKFLOW_SEARCH_ATTRIBUTES', 'WORKFLOW_PROPERTIES_MODIFIED']) assert.ok(types.includes(t), `no ${t} in the history`);
  assert.deepEqual(await attempts(handle), { ingest: 1, transform: 1, quality: 1, deliver: 1, finishRun: 1 });
  await recordHistory(handle, 'governed', secrets());
});

test('gate-timeout: nobody decides within ask.timeout; the default reject fails the run after its timer fires (recorded as gate-timeout.json)', async () => {
  const plan = await planFor('gate-timeout', governedPipeline('replay-gate-timeout', '\n  ask: { timeout: 2s, default: reject }'));
  const handle = await startRun(h.client, plan, { id: `replay-gate-timeout-${randomId()}`, taskQueue: h.taskQueue });
  const err = await handle.result().then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof WorkflowFailedError);
  assert.equal(err.cause?.message, 'quality gate: rejected by timeout (no decision before the timeout); no sink was written');
  const memo = (await handle.describe()).memo as { report?: RunReport };
  assert.deepEqual([memo.report?.decision?.decision, memo.report?.decision?.by, memo.report?.decision?.timedOut], ['reject', 'timeout', true]);
  assert.deepEqual(memo.report?.sinks.map((s) => [s.sink, s.status]), [['out', 'not started'], ['rejects', 'not started']]);
  const types = await eventTypes(handle);
  assert.ok(types.includes('TIMER_STARTED') && types.includes('TIMER_FIRED'), 'the gate waited on a durable timer');
  assert.ok(!types.includes('WORKFLOW_EXECUTION_UPDATE_ACCEPTED'));
  assert.deepEqual(await attempts(handle), { ingest: 1, transform: 1, quality: 1, finishRun: 1 });
  await recordHistory(handle, 'gate-timeout', secrets());
});

test('rate-limited-lease: 3 pages through a connection with concurrency 1, each request under the fleet-wide lease (recorded as rate-limited-lease.json)', async () => {
  const plan = await planFor('rate-limited-lease', `name: replay-rate-limited-lease
sources:
  items:
    type: http
    connection: limited
    path: /items
    records: data
    paginate: { type: page_number, size_param: per_page, size: 2, max_pages: 3 }
sinks:
  out: { type: file, input: items, path: ${dir}/items.csv }
`);
  const handle = await startRun(h.client, plan, { id: `replay-rate-limited-lease-${randomId()}`, taskQueue: h.taskQueue });
  try {
    const report = (await handle.result()) as RunReport;
    assert.deepEqual(report.sinks.map((s) => [s.sink, s.status, s.rows]), [['out', 'delivered', 6]]);
    assert.deepEqual((await readFile(join(dir, 'items.csv'), 'utf8')).trim().split('\n'), ['id', '1', '2', '3', '4', '5', '6']);
    const types = await eventTypes(handle);
    const count = (t: string) => types.filter((x) => x === t).length;
    // One ingest call per page (the third stages the rows), besides startConnectionLimit, deliver and finishRun.
    assert.equal(count('ACTIVITY_TASK_SCHEDULED'), 3 + 3);
    assert.equal(count('WORKFLOW_EXECUTION_SIGNALED'), 3, 'one grant per call');
    // One acquire per call and the release at the end; the first acquire fails (no semaphore yet), so startConnectionLimit starts it.
    assert.deepEqual([count('SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED'), count('SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED'), count('EXTERNAL_WORKFLOW_EXECUTION_SIGNALED')], [4, 1, 3]);
    assert.deepEqual(await attempts(handle), { startConnectionLimit: 1, ingest: 1, deliver: 1, finishRun: 1 });
    await recordHistory(handle, 'rate-limited-lease', secrets());
  } finally {
    await h.client.workflow.getHandle(limitWorkflowId(h.taskQueue, 'limited')).terminate('test over').catch(() => undefined);
  }
});
