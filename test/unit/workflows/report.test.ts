/** Run report bookkeeping: every sink listed from the start, failures and cancellation reported as such. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ActivityFailure, ApplicationFailure, CancelledFailure, RetryState } from '@temporalio/common';
import { newReport, stageStarted, runStopped, sinkDelivered, sinkFailed, errorType } from '../../../workflows/report.js';
import type { RunPlan } from '../../../src/run.js';
import { RUN } from '../../support/run-context.js';

const plan = {
  pipeline: 'p',
  spec: { sinks: { db: { type: 'postgres', connection: 'w', input: 'x', table: 's.t' }, api: { type: 'http', connection: 'api', input: 'x', path: '/in' } } },
} as unknown as RunPlan;
const T0 = '2024-01-01T00:00:00.000Z';
const T1 = '2024-01-01T00:00:05.000Z';
const activityFailure = (cause: Error) => new ActivityFailure('Activity task failed', 'deliver', '3', RetryState.NON_RETRYABLE_FAILURE, undefined, cause);

test('a failed sink and a delivered one are both in the report, the failure with its target and error', () => {
  const report = newReport(plan, RUN, T0);
  assert.deepEqual(report.sinks, [
    { sink: 'db', type: 'postgres', status: 'not started', target: 'postgres s.t' },
    { sink: 'api', type: 'http', status: 'not started', target: 'http api /in' },
  ]);
  stageStarted(report, 'deliver', T0);
  sinkDelivered(report, { sink: 'db', type: 'postgres', target: 'postgres s.t', rows: 9 });
  const err = activityFailure(ApplicationFailure.create({ message: 'POST http://x/in, batch 1: HTTP 400 Bad Request', type: 'DATA', nonRetryable: true }));
  sinkFailed(report, 'api', err);
  assert.equal(errorType(err), 'DATA');
  runStopped(report, 'deliver', ApplicationFailure.create({ message: '1 of 2 sinks failed: sink api → http api /in: POST http://x/in, batch 1: HTTP 400 Bad Request' }), T1);
  assert.deepEqual(report.sinks, [
    { sink: 'db', type: 'postgres', status: 'delivered', target: 'postgres s.t', rows: 9 },
    { sink: 'api', type: 'http', status: 'failed', target: 'http api /in', error: 'POST http://x/in, batch 1: HTTP 400 Bad Request' },
  ]);
  assert.equal(report.status, 'failed');
  assert.equal(report.error, 'deliver: 1 of 2 sinks failed: sink api → http api /in: POST http://x/in, batch 1: HTTP 400 Bad Request');
  assert.deepEqual([report.stages[4]!.status, report.stages[4]!.durationMs], ['failed', 5000]);
});

test('a cancelled run says cancelled, in the run and in the stage it stopped', () => {
  const report = newReport(plan, RUN, T0);
  stageStarted(report, 'ingest', T0);
  runStopped(report, 'ingest', activityFailure(new CancelledFailure('Activity cancelled')), T1);
  assert.equal(report.status, 'cancelled');
  assert.equal(report.error, 'cancelled during ingest');
  assert.deepEqual(report.stages.map((s) => s.status), ['cancelled', 'pending', 'pending', 'pending', 'pending']);
  assert.deepEqual(report.sinks.map((s) => s.status), ['not started', 'not started']);
});
