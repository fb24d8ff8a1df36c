/**
 * `ferry retry`: a run whose HTTP sink fails while its PostgreSQL append sink succeeds reports
 * every sink's outcome and names the failed sink and target; once the cause is fixed, retryRun
 * re-runs it as the same logical run from its staged data (no ingest again) and delivers only the
 * HTTP sink, so the append table has every row exactly once and the receiver every batch once.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { startHarness, randomId } from '../support/harness.js';
import { startReceiver, type Receiver } from '../support/receiver.js';
import { loadPipeline } from '../../src/pipeline/load.js';
import { planOf } from '../../src/cli/start.js';
import { startRun } from '../../src/client.js';
import { retryRun } from '../../src/retry.js';
import type { RunReport } from '../../src/run.js';

let h: Awaited<ReturnType<typeof startHarness>>;
let receiver: Receiver;
let dir: string;
const schema = `retry_${randomId()}`;

before(async () => {
  h = await startHarness();
  receiver = await startReceiver();
  dir = await mkdtemp(join(tmpdir(), 'ferry-retry-test-'));
  process.env.FERRY_FILE_ROOTS = dir; // the file source reads here
  await writeFile(join(dir, 'sales.csv'), 'sale_id,amount\nS1,1.50\nS2,2.50\nS3,3.50\nS4,4.50\nS5,5.50\n');
  const connections = (await readFile('config/connections.yaml', 'utf8')) + `\nreceiver:\n  type: http\n  base_url: ${receiver.url}\n`;
  await writeFile(join(dir, 'connections.yaml'), connections);
  await writeFile(join(dir, 'pipeline.yaml'), `name: retrytest
sources:
  sales: { type: file, path: ${join(dir, 'sales.csv')}, columns: { sale_id: VARCHAR, amount: 'DECIMAL(10,2)' } }
sinks:
  db: { type: postgres, connection: warehouse, input: sales, table: ${schema}.sales, mode: append }
  api: { type: http, connection: receiver, input: sales, path: /ingest, batch_size: 2, wrap: records }
settings:
  retry: { initial_interval: 200ms, maximum_attempts: 3 }
`);
});
after(async () => {
  await h?.sql(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
  await receiver?.close();
  await h?.stop();
  delete process.env.FERRY_FILE_ROOTS;
});

test('a failed sink is reported by name and target; retryRun delivers only what is missing, each row once', async () => {
  const plan = planOf(await loadPipeline(join(dir, 'pipeline.yaml'), { connectionsFile: join(dir, 'connections.yaml') }));
  const id = `retry-${randomId()}`;
  // The receiver refuses batch 2 (a 400 is not retried): the HTTP sink fails after batch 1.
  receiver.failBatch = (key) => (key === `${id}-api-2` ? 400 : undefined);

  const first = await startRun(h.client, plan, { id, taskQueue: h.taskQueue });
  const err = await first.result().then(() => assert.fail('the run should fail'), (e: unknown) => e);
  assert.ok(err instanceof WorkflowFailedError);
  const expectedError = `1 of 2 sinks failed: sink api → http receiver /ingest: stage deliver, dataset sales, POST ${receiver.url}/ingest: HTTP 400: {"error":"batch ${id}-api-2 refused"}`;
  assert.equal(err.cause?.message, expectedError);
  // The run's failure in history carries the message only: no stack with the worker's file paths.
  const closed = (await first.fetchHistory()).events?.find((e) => e.workflowExecutionFailedEventAttributes)?.workflowExecutionFailedEventAttributes;
  assert.equal(closed?.failure?.message, expectedError);
  assert.equal(closed?.failure?.stackTrace ?? '', '');

  // The failed run's report lists every sink's outcome, and the other sink was not cut short.
  const failed = await first.query<RunReport>('progress');
  assert.equal(failed.status, 'failed');
  assert.equal(failed.error, `deliver: ${expectedError}`);
  assert.deepEqual(failed.sinks, [
    { sink: 'db', type: 'postgres', status: 'delivered', target: `postgres ${schema}.sales`, rows: 5 },
    { sink: 'api', type: 'http', status: 'failed', target: 'http receiver /ingest', error: `stage deliver, dataset sales, POST ${receiver.url}/ingest: HTTP 400: {"error":"batch ${id}-api-2 refused"}` },
  ].map((s) => (s.status === 'delivered' ? { ...s, detail: failed.sinks[0]!.detail } : s)));
  assert.deepEqual(failed.stages.map((s) => s.status), ['completed', 'skipped', 'skipped', 'skipped', 'failed']);
  assert.deepEqual(await rows(), ['S1', 'S2', 'S3', 'S4', 'S5']);
  assert.deepEqual(receiver.received.map((b) => b.key), [`${id}-api-1`]);

  // Fix the cause, then retry the same logical run.
  receiver.failBatch = () => undefined;
  const second = await retryRun(h.client, id);
  assert.equal(second.workflowId, id);
  const report = (await second.result()) as RunReport;
  assert.equal(report.status, 'completed');
  assert.equal(report.resumedFrom, first.firstExecutionRunId);
  // The same logical run: its time kept, started by a retry (in the report and for `ferry runs --trigger retry`).
  const firstReport = (await h.client.workflow.getHandle(id, first.firstExecutionRunId).describe()).memo as { report: RunReport };
  assert.deepEqual([report.run.time, report.run.trigger], [firstReport.report.run.time, 'retry']);
  const attrs = (await second.describe()).searchAttributes;
  assert.deepEqual([attrs.FerryRunDate, attrs.FerryTrigger], [[firstReport.report.run.date], ['retry']]);
  assert.deepEqual(report.stages.map((s) => s.status), ['reused', 'skipped', 'skipped', 'skipped', 'completed']);
  assert.deepEqual(report.sinks.map((s) => [s.sink, s.status, s.rows]), [['db', 'delivered', 5], ['api', 'delivered', 5]]);
  assert.match(report.sinks[0]!.detail!, /^delivered by run /);

  // Nothing twice: the append table and the receiver.
  assert.deepEqual(await rows(), ['S1', 'S2', 'S3', 'S4', 'S5']);
  assert.deepEqual(receiver.received.map((b) => b.key), [1, 2, 3].map((n) => `${id}-api-${n}`));
  assert.deepEqual(receiver.received.flatMap((b) => b.records.map((r) => r.sale_id)), ['S1', 'S2', 'S3', 'S4', 'S5']);

  // The retry computed nothing again: it verified the staged data, delivered one sink and recorded the run.
  const events = (await second.fetchHistory()).events ?? [];
  const scheduled = events.flatMap((e) => (e.activityTaskScheduledEventAttributes ? [e.activityTaskScheduledEventAttributes.activityType?.name] : []));
  assert.deepEqual(scheduled, ['verifyStaged', 'deliver', 'finishRun']);

  // A completed run is not retried (that would deliver it again).
  await assert.rejects(retryRun(h.client, id), /completed; only a failed or cancelled run can be retried/);
});

async function rows(): Promise<string[]> {
  return (await h.sql<{ sale_id: string }>(`SELECT sale_id FROM ${schema}.sales ORDER BY sale_id`)).map((r) => r.sale_id);
}
