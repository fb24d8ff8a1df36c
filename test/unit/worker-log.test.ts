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
  assert.deepEqual(lines.map((l) => l.slice(9)), [
    '[WARN] Workflow failed (pipeline w3): Error: activity Heartbeat timeout\n',
    '[WARN] Workflow failed (pipeline w4): Error: dataset x was not produced\n',
  ]);
});
