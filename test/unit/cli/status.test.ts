/**
 * `ferry status` against a fake Temporal client: a run whose worker died says that no worker
 * answers (not that none picked it up); a failed or cancelled run prints its report from its memo
 * with no worker answering, with the run date and trigger in the header; an unknown id is one line.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ApplicationFailure, CancelledFailure, WorkflowFailedError } from '@temporalio/client';
import type { RunReport } from '../../../src/run.js';
import { ferry } from './support.js';
import { RUN } from '../../support/run-context.js';
import { fakeClient, payload } from './fake-client.js';

const ATTRS = { FerryPipeline: 'p', FerryRunDate: '2024-01-05', FerryTrigger: 'schedule' };

const failedReport: RunReport = {
  pipeline: 'p', workflowId: 'run-1', run: RUN, status: 'failed', stage: 'deliver', startedAt: '2026-01-01T00:00:00.000Z', durationMs: 1200, error: 'deliver: 1 of 2 sinks failed',
  stages: [{ stage: 'deliver', status: 'failed', durationMs: 200, datasets: [] }],
  sinks: [
    { sink: 'db', type: 'postgres', status: 'delivered', target: 'postgres s.t', rows: 3 },
    { sink: 'api', type: 'http', status: 'failed', target: 'http api /in', error: 'HTTP 400' },
  ],
};

describe('ferry status', () => {
  it('a run that a worker picked up and that no worker answers now says so, with what its activity last reported', async () => {
    const pending = [{ activityId: '5', activityType: { name: 'ingest' }, state: 1, attempt: 1, heartbeatDetails: payload({ activity: 'ingest items', page: 6, rows: 150 }) }];
    const res = await ferry(['status', 'run-1'], { connect: fakeClient({ status: 'RUNNING', historyLength: 6, pending, attributes: ATTRS }) });
    assert.equal(res.code, 0);
    const lines = res.out.split('\n');
    assert.equal(lines[0], 'run-1  RUNNING  started 2026-01-01T00:00:00.000Z · run date 2024-01-05 · trigger schedule');
    assert.equal(lines[1], '  no worker answers on task queue q1: start one (ferry worker --task-queue q1); a killed worker\'s activities resume on it');
    assert.equal(lines[2], '  running ingest items: page 6 · 150 rows');
  });

  it('a run not picked up yet says that, with the task queue a worker must poll (a worker on another queue is the usual cause)', async () => {
    const res = await ferry(['status', 'run-1'], { connect: fakeClient({ status: 'RUNNING', historyLength: 2 }) });
    assert.equal(res.out.split('\n')[0], 'run-1  RUNNING  started 2026-01-01T00:00:00.000Z');
    assert.equal(res.out.split('\n')[1], '  no worker has picked this run up yet: is one running on its task queue q1? (ferry worker --task-queue q1)');
  });

  it('a failed run prints its report from its memo, no worker answering: the failed sink with its error, the delivered one with its rows', async () => {
    const failure = new WorkflowFailedError('Workflow execution failed', ApplicationFailure.nonRetryable('1 of 2 sinks failed'), 'NON_RETRYABLE_FAILURE');
    const res = await ferry(['status', 'run-1'], { connect: fakeClient({ status: 'FAILED', memo: { report: failedReport }, failure, attributes: ATTRS }) });
    assert.equal(res.code, 1);
    assert.equal(res.out.split('\n')[0], 'run-1  FAILED  started 2026-01-01T00:00:00.000Z · run date 2024-01-05 · trigger schedule');
    assert.ok(res.out.includes('\n  sinks\n    db                    3 rows → postgres s.t\n    api                   failed → http api /in: HTTP 400\n'), res.out);
    assert.match(res.out, /\n {2}failed: 1 of 2 sinks failed\n$/);
  });

  it('a cancelled run prints its report and says it was cancelled; the header falls back on the report\'s run', async () => {
    const report: RunReport = { ...failedReport, status: 'cancelled', error: 'cancelled during deliver', sinks: [{ sink: 'db', type: 'postgres', status: 'cancelled', target: 'postgres s.t', error: 'cancelled' }] };
    const failure = new WorkflowFailedError('Workflow execution cancelled', new CancelledFailure('cancelled'), 'NON_RETRYABLE_FAILURE');
    const res = await ferry(['status', 'run-1'], { connect: fakeClient({ status: 'CANCELLED', memo: { report }, failure }) });
    assert.equal(res.code, 1);
    assert.equal(res.out.split('\n')[0], 'run-1  CANCELLED  started 2026-01-01T00:00:00.000Z · run date 2024-01-05 · trigger cli');
    assert.ok(res.out.includes('\n    db                 cancelled → postgres s.t\n'), res.out);
    assert.match(res.out, /\n {2}cancelled: by ferry cancel, or in the Temporal UI\n$/);
  });

  it('an unknown id is one line and exit 1', async () => {
    const res = await ferry(['status', 'nope'], { connect: fakeClient(undefined) });
    assert.deepEqual(res, { code: 1, out: '', err: 'error: no run with id nope (ferry runs lists the recent ones)\n', connected: 0 });
  });
});
