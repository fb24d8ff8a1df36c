/**
 * The `--wait` view against a fake run: the no-worker notice, in-stage progress and retries with
 * their last error, and how a cancelled, terminated or failed run ends (exit 1, named as such).
 * The same against the real services: test/integration/cli.test.ts.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { CancelledFailure, TerminatedFailure, WorkflowFailedError, ApplicationFailure, type Client, type WorkflowHandle } from '@temporalio/client';
import { watchRun, type WatchTarget } from '../../../src/cli/watch.js';
import { activityLines } from '../../../src/cli/activities-view.js';
import { printError } from '../../../src/cli/render.js';
import type { RunReport } from '../../../src/run.js';
import { testCli, ferry } from './support.js';
import { RUN } from '../../support/run-context.js';

const payload = (v: unknown) => ({ payloads: [{ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from(JSON.stringify(v)) }] });

const REPORT: RunReport = {
  pipeline: 'p', workflowId: 'run-1', run: RUN, status: 'completed', stage: 'done', startedAt: '2026-01-01T00:00:00.000Z', durationMs: 1200,
  stages: [{ stage: 'ingest', status: 'completed', durationMs: 1000, datasets: [{ dataset: 'a', rows: 3, columns: 2, uri: 'x' }] }],
  sinks: [],
};

type FakeRun = { handle: WatchTarget['handle']; finish: (r: RunReport) => void; fail: (e: unknown) => void; describes: () => number };

function fakeRun(options: { historyLength?: number; pending?: unknown[]; progress?: RunReport } = {}): FakeRun {
  let finish!: (r: RunReport) => void;
  let fail!: (e: unknown) => void;
  const result = new Promise<RunReport>((res, rej) => {
    finish = res;
    fail = rej;
  });
  let describes = 0;
  const handle = {
    workflowId: 'run-1',
    describe: async () => {
      describes++;
      return { historyLength: options.historyLength ?? 10, taskQueue: 'q1', raw: { pendingActivities: options.pending ?? [] } };
    },
    query: async () => {
      if (!options.progress) throw new Error('no worker');
      return options.progress;
    },
    result: () => result,
  } as unknown as WatchTarget['handle'];
  return { handle, finish, fail, describes: () => describes };
}

async function until(what: string, fn: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !fn(); i++) await sleep(10);
  assert.ok(fn(), `timed out waiting for ${what}`);
}

describe('watchRun', () => {
  it('says once when no worker polls the task queue, and that a worker picked the run up later', async () => {
    const cli = testCli();
    const run = fakeRun({ historyLength: 2 });
    let polled = 0;
    const code = watchRun(cli, { handle: run.handle, pollers: async (q) => (assert.equal(q, 'q1'), polled++, 0) }, { pollMs: 10, noWorkerAfterMs: 50 });
    await until('the notice', () => cli.stdout().includes('no worker'));
    await sleep(50);
    assert.equal(cli.stdout().match(/no worker/g)!.length, 1, 'said once');
    assert.equal(polled, 1);
    assert.match(cli.stdout(), /^! no worker has polled task queue q1 in the last 0s: start one with `ferry worker --task-queue q1` \(the run waits for it\)\n/);
    run.finish(REPORT);
    assert.equal(await code, 0);
  });

  it('does not warn when workers poll the queue', async () => {
    const cli = testCli();
    const run = fakeRun({ historyLength: 2 });
    const code = watchRun(cli, { handle: run.handle, pollers: async () => 1 }, { pollMs: 10, noWorkerAfterMs: 20 });
    await until('a few rounds', () => run.describes() > 8);
    run.finish(REPORT);
    assert.equal(await code, 0);
    assert.ok(!cli.stdout().includes('no worker'), cli.stdout());
  });

  it('shows in-stage progress and a retried activity with its attempt and last error', async () => {
    const cli = testCli();
    const progress: RunReport = { ...REPORT, status: 'running', stage: 'ingest', stages: [{ stage: 'ingest', status: 'running', startedAt: new Date().toISOString(), datasets: [] }] };
    const run = fakeRun({
      progress,
      pending: [
        { activityId: '1', activityType: { name: 'ingest' }, state: 2, attempt: 1, heartbeatDetails: payload({ activity: 'ingest customers', page: 2, rows: 8 }) },
        {
          activityId: '2', activityType: { name: 'ingest' }, state: 1, attempt: 3, maximumAttempts: 30,
          lastFailure: { message: 'activity failed', cause: { message: 'GET http://127.0.0.1:1/rates: HTTP 503 Service Unavailable' } },
        },
      ],
    });
    const code = watchRun(cli, { handle: run.handle, pollers: async () => 1 }, { pollMs: 10 });
    await until('activity lines', () => cli.stdout().includes('attempt 3'));
    run.finish(REPORT);
    assert.equal(await code, 0);
    const lines = cli.stdout().split('\n');
    assert.ok(lines.includes('      ingest customers: page 2 · 8 rows'), cli.stdout());
    assert.ok(lines.includes('      ingest: waiting to retry — attempt 3 of 30, last error: GET http://127.0.0.1:1/rates: HTTP 503 Service Unavailable'), cli.stdout());
    assert.equal(lines.filter((l) => l.includes('attempt 3')).length, 1, 'an unchanged line is printed once');
  });

  const ENDINGS: [string, unknown, string][] = [
    ['cancelled', new WorkflowFailedError('Workflow execution cancelled', new CancelledFailure('Workflow canceled'), 'NON_RETRYABLE_FAILURE'), '\n✖ run cancelled: by ferry cancel, or in the Temporal UI\n'],
    ['terminated', new WorkflowFailedError('Workflow execution terminated', new TerminatedFailure('by an operator'), 'NON_RETRYABLE_FAILURE'), '\n✖ run terminated: by an operator\n'],
    ['failed', new WorkflowFailedError('Workflow execution failed', ApplicationFailure.nonRetryable('stage ingest, dataset a: HTTP 401'), 'NON_RETRYABLE_FAILURE'), '\n✖ run failed: stage ingest, dataset a: HTTP 401\n'],
  ];
  for (const [name, err, text] of ENDINGS) {
    it(`a ${name} run exits 1 and says it was ${name}`, async () => {
      const cli = testCli();
      const run = fakeRun();
      const code = watchRun(cli, { handle: run.handle, pollers: async () => 1 }, { pollMs: 10, queryTimeoutMs: 50 });
      run.fail(err);
      assert.equal(await code, 1);
      assert.equal(cli.stderr().replace(/ {2}http\S+\n$/, ''), text);
    });
  }

  it('a failed run prints its report: each sink delivered, failed with its error, or not started', async () => {
    const cli = testCli();
    const failed: RunReport = {
      ...REPORT, status: 'failed', stage: 'deliver', error: 'deliver: 1 of 3 sinks failed',
      stages: [...REPORT.stages, { stage: 'deliver', status: 'failed', durationMs: 200, datasets: [] }],
      sinks: [
        { sink: 'db', type: 'postgres', status: 'delivered', target: 'postgres s.t', rows: 3, detail: 'append' },
        { sink: 'api', type: 'http', status: 'failed', target: 'http api /in', error: 'POST http://x/in: HTTP 400: {"error":"no"}' },
        { sink: 'lake', type: 's3', status: 'not started', target: 's3://b/k.csv' },
      ],
    };
    const run = fakeRun({ progress: failed });
    const code = watchRun(cli, { handle: run.handle, pollers: async () => 1 }, { pollMs: 10, queryTimeoutMs: 200 });
    run.fail(new WorkflowFailedError('Workflow execution failed', ApplicationFailure.nonRetryable('1 of 3 sinks failed'), 'NON_RETRYABLE_FAILURE'));
    assert.equal(await code, 1);
    const lines = cli.stdout().split('\n');
    const sinks = lines.slice(lines.indexOf('  sinks') + 1, lines.indexOf('  sinks') + 4);
    assert.deepEqual(sinks, [
      '    db                    3 rows → postgres s.t (append)',
      '    api                   failed → http api /in: POST http://x/in: HTTP 400: {"error":"no"}',
      '    lake             not started → s3://b/k.csv',
    ]);
    assert.equal(cli.stderr(), '\n✖ run failed in deliver: 1 of 3 sinks failed\n', 'the report above already gave the link');
  });

  it('a run whose report says cancelled exits 1 and prints the report', async () => {
    const cli = testCli();
    const run = fakeRun();
    const code = watchRun(cli, { handle: run.handle, pollers: async () => 1 }, { pollMs: 10 });
    run.finish({ ...REPORT, status: 'cancelled' as RunReport['status'], error: 'cancelled during deliver' });
    assert.equal(await code, 1);
    assert.match(cli.stdout(), /p cancelled in 1\.2s/);
    assert.match(cli.stderr(), /^✖ run cancelled: cancelled during deliver\n/);
  });
});

describe('activityLines', () => {
  it('an activity that has not heartbeated yet is named by its type', () => {
    assert.deepEqual(activityLines([{ activityId: '7', activityType: { name: 'deliver' }, state: 2, attempt: 1 }]), [{ key: '7', attempt: 1, progress: false, text: 'deliver: started' }]);
  });
  it('scheduled for the first time it waits to start; scheduled again after a failure it waits to retry', () => {
    assert.deepEqual(activityLines([{ activityId: '9', activityType: { name: 'ingest' }, state: 1, attempt: 1 }, { activityId: '10', activityType: { name: 'ingest' }, state: 1, attempt: 2 }]).map((l) => l.text),
      ['ingest: waiting to start', 'ingest: waiting to retry — attempt 2']);
  });
  it('a batch and rows from a sink', () => {
    assert.deepEqual(activityLines([{ activityId: '8', activityType: { name: 'deliver' }, attempt: 2, heartbeatDetails: payload({ activity: 'deliver api', batch: 3, rows: 1500 }) }]).map((l) => l.text),
      ['deliver api: batch 3 · 1500 rows — attempt 2']);
  });
});

describe('ferry retry', () => {
  it('calls retryRun with the id and prints the new run like ferry run; --wait shows its report', async () => {
    const run = fakeRun();
    run.finish({ ...REPORT, workflowId: 'run-1' });
    const calls: string[] = [];
    const client = { options: { namespace: 'default' } } as unknown as Client;
    const res = await ferry(['retry', 'run-1', '--wait'], {
      connect: async () => client,
      retryRun: async (c, id) => {
        assert.equal(c, client);
        calls.push(id);
        return run.handle as unknown as WorkflowHandle;
      },
    });
    assert.deepEqual(calls, ['run-1']);
    assert.equal(res.err, '');
    assert.equal(res.code, 0);
    assert.ok(res.out.startsWith('started retry of run-1 as run-1\n  http://127.0.0.1:8233/namespaces/default/workflows/run-1\n'), res.out);
    assert.match(res.out, /p completed in 1\.2s/);
  });

  it('an error from retryRun (e.g. the run succeeded) is one line, exit 1', async () => {
    const { ConfigError } = await import('../../../src/errors.js');
    const res = await ferry(['retry', 'run-1'], {
      connect: async () => ({}) as Client,
      retryRun: async () => { throw new ConfigError('run-1 completed; there is nothing to retry'); },
    });
    assert.deepEqual(res, { code: 1, out: '', err: 'error: run-1 completed; there is nothing to retry\n', connected: 0 });
  });
});

describe('ProgressView in a log (not a terminal)', () => {
  it('prints an activity when it appears, at its first progress, when retried, and else at most every 5 s', async () => {
    const { ProgressView } = await import('../../../src/cli/render.js');
    let text = '';
    const view = new ProgressView((t) => void (text += t), false);
    const line = (t: string, attempt = 1, progress = true) => [{ key: '1', text: t, attempt, progress }];
    view.update(undefined, line('ingest a: started', 1, false), 0);
    view.update(undefined, line('ingest a: page 1 · 10 rows'), 100);
    view.update(undefined, line('ingest a: page 2 · 20 rows'), 200);
    view.update(undefined, line('ingest a: page 3 · 30 rows'), 4000);
    view.update(undefined, line('ingest a: page 9 · 90 rows'), 5200);
    view.update(undefined, line('ingest a: page 9 · 90 rows — attempt 2, last error: HTTP 503', 2), 5300);
    view.update(undefined, line('ingest a: page 9 · 90 rows — attempt 2, last error: HTTP 503', 2), 9000);
    assert.equal(text, [
      '      ingest a: started',
      '      ingest a: page 1 · 10 rows',
      '      ingest a: page 9 · 90 rows',
      '      ingest a: page 9 · 90 rows — attempt 2, last error: HTTP 503',
      '',
    ].join('\n'));
  });
});

describe('printError', () => {
  it('prints the root cause in one line, without a gRPC status code', () => {
    const lines: string[] = [];
    printError(new Error('fetching history failed', { cause: new Error('5 NOT_FOUND: workflow not found for ID: x') }), (t) => lines.push(t));
    assert.deepEqual(lines, ['error: workflow not found for ID: x\n']);
  });
});
