/**
 * What the Temporal UI shows of a run, read from the real server's history as the UI reads it:
 * the run's summary and details (pipeline, description, stages), one summary per activity
 * ("ingest customers", "deliver warehouse → postgres retail.sales_enriched"), and failures that
 * carry Ferry's message and no stack trace with the worker's file paths — for an activity's
 * failure, for the run failing because of it, and for the run failing in its own code (failed sinks).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { defaultPayloadConverter } from '@temporalio/common';
import type { WorkflowHandle } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { startHarness, randomId, RETAIL } from '../support/harness.js';

let h: Awaited<ReturnType<typeof startHarness>>;
before(async () => {
  h = await startHarness();
  await h.seed();
});
after(async () => h?.stop());

type Event = temporal.api.history.v1.IHistoryEvent;
const text = (p: temporal.api.common.v1.IPayload | null | undefined) => (p ? defaultPayloadConverter.fromPayload(p) : undefined);
const events = async (handle: WorkflowHandle): Promise<Event[]> => (await handle.fetchHistory()).events ?? [];

/** A failure as the UI shows it (its JSON, every payload decoded) must not carry a stack or a worker path. */
function assertNoStack(failure: unknown, what: string): void {
  const json = historyToJSON({ events: [{ workflowExecutionFailedEventAttributes: { failure } }] } as never);
  const decoded = json.replace(/"data": ?"([A-Za-z0-9+/=]*)"/g, (_m, b64: string) => Buffer.from(b64, 'base64').toString('utf8'));
  assert.ok(!decoded.includes('stackTrace'), `${what} carries a stack trace: ${decoded}`);
  for (const needle of [process.cwd(), '/work/', '.ts:', 'node_modules']) assert.ok(!decoded.includes(needle), `${what} carries ${needle}: ${decoded}`);
  assert.ok(!/(^|\\n|\n)\s*at \S+.*:\d+:\d+/.test(decoded), `${what} carries stack frames: ${decoded}`);
}

test('the run and every activity of the retail example carry a summary the UI shows without opening a payload', async () => {
  const { handle } = await h.run(RETAIL);
  const history = await events(handle);
  const start = history[0]!;
  assert.equal(text(start.userMetadata?.summary), 'retail: Enriched sales with USD amounts, from three kinds of source to three kinds of sink');
  assert.equal(text(start.userMetadata?.details), [
    '**retail** (config/pipelines/retail.yaml)',
    'Enriched sales with USD amounts, from three kinds of source to three kinds of sink',
    '- sources: sales (s3), products (postgres), transactions (postgres), customers (http), rates (http)',
    '- standardize: 7 steps · preprocess: 6 steps',
    '- sinks: warehouse (postgres), lake (s3), api (http)',
  ].join('\n'));
  const scheduled = history.filter((e) => e.activityTaskScheduledEventAttributes);
  assert.deepEqual(scheduled.map((e) => text(e.userMetadata?.summary)), [
    'ingest sales', 'ingest products', 'ingest transactions', 'ingest customers', 'ingest rates',
    'standardize: 7 steps', 'preprocess: 6 steps', 'quality: 6 rules',
    'deliver warehouse → postgres retail.sales_enriched', 'deliver lake → s3://ferry-demo/curated/sales_enriched.csv', 'deliver api → http demo_api /ingest', 'record the run of retail',
  ]);
});

test('a failed activity and the run it failed carry the Ferry message, no stack trace, no worker path', async () => {
  const token = process.env.DEMO_API_TOKEN;
  process.env.DEMO_API_TOKEN = 'not-the-token'; // the worker resolves ${env:DEMO_API_TOKEN} per attempt
  let handle: WorkflowHandle;
  try {
    handle = await h.start(RETAIL);
    await handle.result().then(() => assert.fail('the run must fail'), () => undefined);
  } finally {
    process.env.DEMO_API_TOKEN = token;
  }
  const history = await events(handle);
  const ferryMessage = new RegExp(`^stage ingest, dataset (customers|rates), GET ${h.api.url}/(customers|rates), page 1: HTTP 401 Unauthorized: \\{"error":"invalid or missing bearer token"\\} \\(check the credentials of the connection\\)$`);

  const failedActivities = history.filter((e) => e.activityTaskFailedEventAttributes).map((e) => e.activityTaskFailedEventAttributes!.failure!);
  assert.ok(failedActivities.length >= 1);
  for (const f of failedActivities) {
    assert.match(f.message!, ferryMessage);
    assert.equal(f.applicationFailureInfo?.type, 'AUTH');
    assert.ok(!f.stackTrace, `stack: ${f.stackTrace}`);
    assertNoStack(f, 'ActivityTaskFailed');
  }

  const failed = history.at(-1)!.workflowExecutionFailedEventAttributes!.failure!;
  // The UI shows Ferry's message and type on top, caused by "Activity task failed" (the activity's type and id), caused by Ferry's message.
  assert.match(failed.message!, ferryMessage);
  assert.equal(failed.applicationFailureInfo?.type, 'AUTH');
  assert.equal(failed.cause!.message, 'Activity task failed');
  assert.equal(failed.cause!.activityFailureInfo?.activityType?.name, 'ingest');
  assert.match(failed.cause!.cause!.message!, ferryMessage);
  assert.ok(!failed.stackTrace && !failed.cause!.stackTrace && !failed.cause!.cause!.stackTrace);
  assertNoStack(failed, 'WorkflowExecutionFailed');
  assert.ok(!JSON.stringify(historyToJSON({ events: history } as never)).includes('not-the-token'));
});

test('a run that fails in its own code (a sink that fails) carries the Ferry message and no stack', async () => {
  const dir = `.ferry/test-files/ui-${randomId()}`;
  await mkdir(dir, { recursive: true });
  try {
    await writeFile(`${dir}/in.csv`, 'id\n1\n');
    // A sink path outside the allowed roots: a CONFIG error in deliver, not retried.
    await writeFile(`${dir}/p.yaml`, `name: ui_sinkfail\nsources:\n  a: { type: file, path: ${dir}/in.csv }\nsinks:\n  out: { type: file, input: a, path: /etc/ferry-ui-test.csv }\n`);
    const handle = await h.start(`${dir}/p.yaml`);
    await handle.result().then(() => assert.fail('the run must fail'), () => undefined);
    const history = await events(handle);
    const failedActivity = history.find((e) => e.activityTaskFailedEventAttributes)!.activityTaskFailedEventAttributes!.failure!;
    assert.equal(failedActivity.applicationFailureInfo?.type, 'CONFIG');
    assertNoStack(failedActivity, 'ActivityTaskFailed');
    const failed = history.at(-1)!.workflowExecutionFailedEventAttributes!.failure!;
    assert.equal(failed.message, `1 of 1 sinks failed: sink out → file /etc/ferry-ui-test.csv: ${failedActivity.message}`);
    assert.equal(failed.applicationFailureInfo?.type, 'CONFIG');
    assertNoStack(failed, 'WorkflowExecutionFailed');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
