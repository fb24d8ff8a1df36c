/**
 * `ferry status` against a fake Temporal client: a run whose worker died says that no worker
 * answers (not that none picked it up), and a failed run prints its report with every sink.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ApplicationFailure, WorkflowFailedError, type Client } from '@temporalio/client';
import type { RunReport } from '../../../src/run.js';
import { ferry } from './support.js';
import { RUN } from '../../support/run-context.js';

const payload = (v: unknown) => ({ payloads: [{ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from(JSON.stringify(v)) }] });

function client(run: { status: string; historyLength: number; pending?: unknown[]; progress?: RunReport; failure?: unknown }): () => Promise<Client> {
  const handle = {
    workflowId: 'run-1',
    describe: async () => ({
      status: { name: run.status }, startTime: new Date('2026-01-01T00:00:00Z'), historyLength: run.historyLength, taskQueue: 'q1',
      raw: { pendingActivities: run.pending ?? [] },
    }),
    query: async () => {
      if (!run.progress) throw new Error('no worker polls the task queue');
      return run.progress;
    },
    result: async () => {
      throw run.failure;
    },
  };
  return async () => ({ workflow: { getHandle: () => handle } }) as unknown as Client;
}

describe('ferry status', () => {
  it('a run that a worker picked up and that no worker answers now says so, with what its activity last reported', async () => {
    const pending = [{ activityId: '5', activityType: { name: 'ingest' }, state: 1, attempt: 1, heartbeatDetails: payload({ activity: 'ingest items', page: 6, rows: 150 }) }];
    const res = await ferry(['status', 'run-1'], { connect: client({ status: 'RUNNING', historyLength: 6, pending }) });
    assert.equal(res.code, 0);
    const lines = res.out.split('\n');
    assert.equal(lines[1], '  no worker answers on task queue q1: start one (ferry worker --task-queue q1); a killed worker\'s activities resume on it');
    assert.equal(lines[2], '  running ingest items: page 6 · 150 rows');
  });

  it('a run not picked up yet says that', async () => {
    const res = await ferry(['status', 'run-1'], { connect: client({ status: 'RUNNING', historyLength: 2 }) });
    assert.equal(res.out.split('\n')[1], '  no worker has picked this run up yet');
  });

  it('a failed run prints its report: the failed sink with its error, the delivered one with its rows', async () => {
    const progress: RunReport = {
      pipeline: 'p', workflowId: 'run-1', run: RUN, status: 'failed', stage: 'deliver', startedAt: '2026-01-01T00:00:00.000Z', durationMs: 1200, error: 'deliver: 1 of 2 sinks failed',
      stages: [{ stage: 'deliver', status: 'failed', durationMs: 200, datasets: [] }],
      sinks: [
        { sink: 'db', type: 'postgres', status: 'delivered', target: 'postgres s.t', rows: 3 },
        { sink: 'api', type: 'http', status: 'failed', target: 'http api /in', error: 'HTTP 400' },
      ],
    };
    const failure = new WorkflowFailedError('Workflow execution failed', ApplicationFailure.nonRetryable('1 of 2 sinks failed'), 'NON_RETRYABLE_FAILURE');
    const res = await ferry(['status', 'run-1'], { connect: client({ status: 'FAILED', historyLength: 20, progress, failure }) });
    assert.equal(res.code, 1);
    assert.ok(res.out.includes('\n  sinks\n    db                    3 rows → postgres s.t\n    api                   failed → http api /in: HTTP 400\n'), res.out);
    assert.match(res.out, /\n {2}failed: 1 of 2 sinks failed\n$/);
  });
});
