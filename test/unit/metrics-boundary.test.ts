/**
 * The activity boundary's metrics hook under MockActivityEnvironment with a recording meter: every
 * finished attempt is counted once with its outcome — completed, retry (Temporal runs it again),
 * failed (not retryable, or the policy's last attempt), cancelled — and its error code; a completed
 * attempt's rows are counted; a meter that throws never fails the attempt.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { ApplicationFailure, type MetricMeter, type MetricTags, type RetryPolicy } from '@temporalio/common';
import { withActivityContext, retriesAfter, type BoundaryOptions } from '../../activities/boundary.js';
import { DataError, TransientError } from '../../src/errors.js';

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'ferry-metrics-boundary-test-'));
  process.env.FERRY_WORK_ROOT = root;
});
after(async () => {
  delete process.env.FERRY_WORK_ROOT;
  await rm(root, { recursive: true, force: true });
});

type Value = [name: string, value: number, tags: MetricTags];

function recordingMeter(fail = false): MetricMeter & { values: Value[] } {
  const values: Value[] = [];
  const metric = (name: string) => {
    const push = (value: number, tags: MetricTags = {}) => {
      if (fail) throw new Error('meter broken');
      values.push([name, value, tags]);
    };
    return { name, kind: 'counter', valueType: 'int', add: push, record: push, set: push, withTags: () => metric(name) } as never;
  };
  return { values, createCounter: metric, createHistogram: metric, createGauge: metric, withTags: () => recordingMeter(fail) };
}

/** Runs `fn` as a deliver attempt of sink `api` in the boundary; returns what the meter recorded. */
async function attempt<T>(fn: () => Promise<T>, info: { attempt?: number; retryPolicy?: RetryPolicy } = {}, options: { cancelAfterMs?: number; failingMeter?: boolean } = {}) {
  const meter = recordingMeter(options.failingMeter);
  const env = new MockActivityEnvironment({ heartbeatTimeoutMs: 800, ...info }, { logger: new DefaultLogger('ERROR'), metricMeter: meter });
  if (options.cancelAfterMs !== undefined) setTimeout(() => env.cancel(), options.cancelAfterMs);
  const boundary: BoundaryOptions<T> = { summarize: () => 'ok', pipeline: 'retail', sink: 'api' };
  const outcome = await env.run(() => withActivityContext('deliver api', { stage: 'deliver', dataset: 'sales_final' }, fn, boundary))
    .then((value) => ({ value, error: undefined }), (error: unknown) => ({ value: undefined, error }));
  // The duration is whatever the attempt took: checked for being a number, then left out.
  const durations = meter.values.filter(([name]) => name === 'ferry_activity_attempt_duration_seconds');
  for (const [, seconds] of durations) assert.ok(seconds >= 0 && seconds < 10, `duration ${seconds}`);
  return { ...outcome, values: meter.values.map(([name, value, tags]) => [name, name.endsWith('_seconds') ? 'seconds' : value, tags]) };
}

/** Ferry's labels, after the ones the SDK's activity meter adds itself (the mock's info names them so). */
const at = { activityType: 'unknown', namespace: 'test', taskQueue: 'test', pipeline: 'retail', stage: 'deliver', dataset: 'sales_final', sink: 'api' };
const policy = (maximumAttempts: number): RetryPolicy => ({ maximumAttempts, nonRetryableErrorTypes: ['CONFIG', 'DATA', 'AUTH', 'NOT_FOUND'] });

describe("an attempt's metrics", () => {
  it('a completed attempt counts its rows, once, and its outcome', async () => {
    const { values } = await attempt(async () => ({ sink: 'api', type: 'http', target: 'http demo /ingest', rows: 9 }));
    assert.deepEqual(values, [
      ['ferry_rows_total', 9, at],
      ['ferry_activity_attempts_total', 1, { ...at, outcome: 'completed' }],
      ['ferry_activity_attempt_duration_seconds', 'seconds', { ...at, outcome: 'completed' }],
    ]);
  });

  it('a retryable failure with attempts left is a retry, with its error code', async () => {
    const { error, values } = await attempt(async () => { throw new TransientError('HTTP 503'); }, { attempt: 1, retryPolicy: policy(30) });
    assert.ok(error instanceof ApplicationFailure);
    assert.deepEqual(values, [
      ['ferry_activity_attempts_total', 1, { ...at, outcome: 'retrying', error_code: 'TRANSIENT' }],
      ['ferry_activity_attempt_duration_seconds', 'seconds', { ...at, outcome: 'retrying' }],
    ]);
  });

  it('the same failure on the last attempt the policy allows has failed for good', async () => {
    const { values } = await attempt(async () => { throw new TransientError('HTTP 503'); }, { attempt: 30, retryPolicy: policy(30) });
    assert.deepEqual(values[0], ['ferry_activity_attempts_total', 1, { ...at, outcome: 'failed', error_code: 'TRANSIENT' }]);
  });

  it('a data error fails for good on its first attempt', async () => {
    const { values } = await attempt(async () => { throw new DataError('bad row'); }, { attempt: 1, retryPolicy: policy(30) });
    assert.deepEqual(values[0], ['ferry_activity_attempts_total', 1, { ...at, outcome: 'failed', error_code: 'DATA' }]);
  });

  it('a cancelled attempt is counted as cancelled, without an error code', async () => {
    const { values } = await attempt(async () => sleep(5000), {}, { cancelAfterMs: 100 });
    assert.deepEqual(values, [
      ['ferry_activity_attempts_total', 1, { ...at, outcome: 'cancelled' }],
      ['ferry_activity_attempt_duration_seconds', 'seconds', { ...at, outcome: 'cancelled' }],
    ]);
  });

  it('a meter that throws changes nothing about the attempt', async () => {
    const ok = await attempt(async () => ({ sink: 'api', type: 'http', target: 't', rows: 1 }), {}, { failingMeter: true });
    assert.deepEqual(ok.value, { sink: 'api', type: 'http', target: 't', rows: 1 });
    const failed = await attempt(async () => { throw new DataError('bad row'); }, {}, { failingMeter: true });
    assert.equal((failed.error as ApplicationFailure).type, 'DATA');
  });
});

describe('retriesAfter', () => {
  const failure = (type: string, nonRetryable = false) => ApplicationFailure.create({ message: 'x', type, nonRetryable });
  const cases: [string, ApplicationFailure, number, RetryPolicy | undefined, boolean][] = [
    ['retryable, attempts left', failure('TRANSIENT'), 1, policy(3), true],
    ['retryable, last attempt', failure('TRANSIENT'), 3, policy(3), false],
    ['retryable, unlimited attempts (0)', failure('RESOURCE'), 99, policy(0), true],
    ['retryable, no policy known', failure('TRANSIENT'), 5, undefined, true],
    ['marked non-retryable', failure('UNKNOWN', true), 1, policy(3), false],
    ['a type the policy does not retry', failure('DATA'), 1, policy(3), false],
  ];
  for (const [what, f, attemptNo, retryPolicy, expected] of cases) {
    it(`${what}: ${expected ? 'retried' : 'not retried'}`, () => assert.equal(retriesAfter(f, attemptNo, retryPolicy), expected));
  }
});
