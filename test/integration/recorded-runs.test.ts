/**
 * The runs whose histories the replay suite keeps besides the example's (retail.test.ts,
 * failures.test.ts): an activity retried after a 503, a run cancelled while its source reads, and
 * a run started by a Temporal Schedule. Each test checks the shape that makes its history worth
 * replaying; `npm run record-histories` writes them to test/replay/histories/.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { startHarness, randomId, recordHistory } from '../support/harness.js';
import { pgAdapters } from '../support/pg-adapters.js';
import { startReceiver, type Receiver } from '../support/receiver.js';
import { loadPipeline } from '../../src/pipeline/load.js';
import { planOf } from '../../src/cli/start.js';
import { runMetadata, runSearchAttributes, startRun } from '../../src/client.js';
import type { RunPlan, RunReport } from '../../src/run.js';

let h: Awaited<ReturnType<typeof startHarness>>;
let api: Receiver;
// Relative to the repository: a recorded history must carry no machine path.
const dir = join('.ferry', 'test-tmp', `recorded-${randomId()}`);

before(async () => {
  h = await startHarness();
  api = await startReceiver();
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'connections.yaml'), `${await readFile('config/connections.yaml', 'utf8')}\nreceiver:\n  type: http\n  base_url: ${api.url}\n`);
});
after(async () => {
  await api?.close();
  await h?.stop();
  await rm(dir, { recursive: true, force: true });
});

const secrets = () => [h.token, process.env.AWS_SECRET_ACCESS_KEY!];

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
  assert.deepEqual(await attempts(handle), { ingest: 1, deliver: 2 });
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
    assert.deepEqual(await attempts(handle), { planParts: 1, ingest: 1, combineParts: 1, deliver: 1, commitWatermarks: 1 });
    await recordHistory(handle, 'fan-out-incremental', secrets());
  } finally {
    await pg.sql(`DROP SCHEMA ${schema} CASCADE`);
    await pg.close();
  }
});
