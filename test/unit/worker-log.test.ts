/** The SDK's log lines on a worker: activity failures are the reporter's one line; the rest stays, on one line. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import type { LogEntry } from '@temporalio/worker';
import { sdkLogFunction } from '../../src/worker-log.js';

const entry = (message: string, meta?: Record<string, unknown>, level: LogEntry['level'] = 'WARN'): LogEntry => ({ message, level, timestampNanos: 0n, meta });

test('Ferry activity failures print nothing; other SDK problems print one line without a stack', () => {
  const lines: string[] = [];
  const log = sdkLogFunction((l) => lines.push(l));
  const failure = ApplicationFailure.create({ message: 'stage ingest, dataset customers: HTTP 503', type: 'TRANSIENT' });
  log(entry('Activity failed', { activityType: 'ingest', workflowId: 'w1', error: failure, durationMs: 12 }));
  const crash = new TypeError('Cannot read properties of undefined (reading \'x\')\n    at foo (file.ts:1:1)');
  log(entry('Activity failed', { activityType: 'ingest', workflowId: 'w1', error: crash }));
  log(entry('Failed to encode heartbeat details, cancelling Activity', { activityType: 'deliver' }));
  log(entry('Connection to server lost', undefined, 'ERROR'));

  assert.equal(lines.length, 3);
  assert.ok(lines.every((l) => l.endsWith('\n') && l.split('\n').length === 2), 'one line each');
  const body = lines.map((l) => l.slice(9)); // without the hh:mm:ss stamp
  assert.deepEqual(body, [
    '[WARN] Activity failed (ingest w1): TypeError: Cannot read properties of undefined (reading \'x\')\n',
    '[WARN] Failed to encode heartbeat details, cancelling Activity (deliver)\n',
    '[ERROR] Connection to server lost\n',
  ]);
});

test('a run failed by an activity attempt or by failed sinks is not told again by the SDK; an activity timeout is', () => {
  const lines: string[] = [];
  const log = sdkLogFunction((l) => lines.push(l));
  // As they arrive from the workflow thread: plain Errors with their cause chain.
  const activity = (cause: Error) => new Error('Activity task failed', { cause });
  log(entry('Workflow failed', { workflowType: 'pipeline', workflowId: 'w1', error: activity(new Error('stage ingest, dataset d, s3://b/k.csv: S3: NoSuchKey')) }));
  log(entry('Workflow failed', { workflowType: 'pipeline', workflowId: 'w2', error: new Error('1 of 4 sinks failed: sink api → http api /in: HTTP 400') }));
  log(entry('Workflow failed', { workflowType: 'pipeline', workflowId: 'w3', error: activity(new Error('activity Heartbeat timeout')) }));
  log(entry('Workflow failed', { workflowType: 'pipeline', workflowId: 'w4', error: new Error('dataset x was not produced') }));
  // As the run fails now: Ferry's message on top, the activity failure as its cause (workflows/report.ts runFailure).
  const ferry = (cause: Error) => new Error(cause.message, { cause: activity(cause) });
  log(entry('Workflow failed', { workflowType: 'pipeline', workflowId: 'w5', error: ferry(new Error('stage ingest, dataset d: HTTP 401')) }));
  log(entry('Workflow failed', { workflowType: 'pipeline', workflowId: 'w6', error: ferry(new Error('activity Heartbeat timeout')) }));
  assert.deepEqual(lines.map((l) => l.slice(9)), [
    '[WARN] Workflow failed (pipeline w3): Error: activity Heartbeat timeout\n',
    '[WARN] Workflow failed (pipeline w4): Error: dataset x was not produced\n',
    '[WARN] Workflow failed (pipeline w6): Error: activity Heartbeat timeout\n',
  ]);
});

test('a finished attempt as one JSON line: run, pipeline, stage, activity, dataset or sink, attempt, outcome, rows, error', async () => {
  const { attemptJson } = await import('../../src/worker-log.js');
  const now = new Date('2026-01-01T00:00:00Z');
  const base = { workflowId: 'w1', runId: 'r1', pipeline: 'retail', durationMs: 12 };
  const lines = [
    attemptJson({ ...base, label: 'ingest customers', activity: 'ingest', stage: 'ingest', dataset: 'customers', attempt: 1, summary: '8 rows from GET /customers', outcome: 'completed', rows: 8 }, now),
    attemptJson({ ...base, label: 'deliver api', activity: 'deliver', stage: 'deliver', dataset: 'sales_final', sink: 'api', attempt: 2, error: 'HTTP 503', errorType: 'TRANSIENT', willRetry: true, outcome: 'retrying' }, now),
    attemptJson({ ...base, label: 'deliver api', activity: 'deliver', attempt: 3, error: 'HTTP 400', errorType: 'DATA', willRetry: false }, now),
    attemptJson({ ...base, label: 'preprocess', activity: 'transform', stage: 'preprocess', attempt: 1, error: 'cancelled', cancelled: true, outcome: 'cancelled' }, now),
  ];
  assert.ok(lines.every((l) => l.endsWith('}\n') && l.split('\n').length === 2), 'one line each');
  assert.deepEqual(lines.map((l) => JSON.parse(l) as unknown), [
    { ts: '2026-01-01T00:00:00.000Z', level: 'info', msg: 'ingest customers: 8 rows from GET /customers', workflowId: 'w1', runId: 'r1', pipeline: 'retail', stage: 'ingest', activity: 'ingest', dataset: 'customers', attempt: 1, outcome: 'completed', durationMs: 12, rows: 8 },
    { ts: '2026-01-01T00:00:00.000Z', level: 'warn', msg: 'deliver api: attempt 2 failed, will retry', workflowId: 'w1', runId: 'r1', pipeline: 'retail', stage: 'deliver', activity: 'deliver', dataset: 'sales_final', sink: 'api', attempt: 2, outcome: 'retrying', durationMs: 12, error: 'HTTP 503', errorType: 'TRANSIENT' },
    { ts: '2026-01-01T00:00:00.000Z', level: 'error', msg: 'deliver api: attempt 3 failed', workflowId: 'w1', runId: 'r1', pipeline: 'retail', activity: 'deliver', attempt: 3, outcome: 'failed', durationMs: 12, error: 'HTTP 400', errorType: 'DATA' },
    { ts: '2026-01-01T00:00:00.000Z', level: 'warn', msg: 'preprocess: cancelled', workflowId: 'w1', runId: 'r1', pipeline: 'retail', stage: 'preprocess', activity: 'transform', attempt: 1, outcome: 'cancelled', durationMs: 12 },
  ]);
});

test('in JSON the SDK lines are JSON too, one object per line, filtered like the text ones', () => {
  const lines: string[] = [];
  const log = sdkLogFunction((l) => lines.push(l), 'json');
  log(entry('Activity failed', { activityType: 'ingest', workflowId: 'w1', error: ApplicationFailure.create({ message: 'HTTP 503', type: 'TRANSIENT' }) }));
  log(entry('Connection to server lost\nretrying', { taskQueue: 'q', sdkComponent: 'worker', extra: { nested: true } }, 'ERROR'));
  log(entry('Activity failed', { activityType: 'deliver', workflowId: 'w2', runId: 'r2', attempt: 2, error: new TypeError('boom\n    at x (/work/a.ts:1:1)') }));
  assert.equal(lines.length, 2);
  const [a, b] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.match(String(a!.ts), /^\d{4}-\d\d-\d\dT/);
  assert.deepEqual({ ...a, ts: 0 }, { ts: 0, level: 'error', msg: 'Connection to server lost', source: 'temporal-sdk', taskQueue: 'q', sdkComponent: 'worker' });
  assert.deepEqual({ ...b, ts: 0 }, { ts: 0, level: 'warn', msg: 'Activity failed', source: 'temporal-sdk', activity: 'deliver', workflowId: 'w2', runId: 'r2', attempt: 2, error: 'TypeError: boom' });
});
