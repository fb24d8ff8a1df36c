/**
 * The retry policies a run's activities get, as the README promises them: sources and sinks ride out
 * an outage of about 25 minutes by default, a source or sink may set its own `retry:`, transforms get
 * at most 3 attempts, and config, data, auth and not-found failures are never retried.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { activityOptions, transformRetry } from '../../../workflows/stages.js';
import { pipelineSchema } from '../../../src/pipeline/schema.js';
import { parseDuration } from '../../../src/pipeline/duration.js';

const defaults = () => pipelineSchema.parse({ name: 'p', sources: { a: { type: 'file', path: 'a.csv' } } }).settings;

/** Seconds waited between the attempts of a policy: the outage it rides out. */
function budgetSeconds(retry: NonNullable<ReturnType<typeof activityOptions>['retry']>): number {
  let wait = parseDuration(String(retry.initialInterval)) / 1000;
  const max = parseDuration(String(retry.maximumInterval)) / 1000;
  let total = 0;
  for (let attempt = 1; attempt < (retry.maximumAttempts ?? 0); attempt++) {
    total += Math.min(wait, max);
    wait *= retry.backoffCoefficient ?? 2;
  }
  return total;
}

test('by default a source or sink rides out an outage of about 25 minutes, with a 20 s heartbeat timeout', () => {
  const options = activityOptions(defaults());
  assert.deepEqual(
    { heartbeat: options.heartbeatTimeout, attempt: options.startToCloseTimeout, retry: { ...options.retry, nonRetryableErrorTypes: undefined } },
    { heartbeat: '20s', attempt: '2h', retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 30, nonRetryableErrorTypes: undefined } },
  );
  const minutes = budgetSeconds(options.retry!) / 60;
  assert.ok(minutes > 20 && minutes < 30, `${minutes.toFixed(1)} minutes`);
});

test('config, data, auth and not-found failures are never retried', () => {
  assert.deepEqual(activityOptions(defaults()).retry?.nonRetryableErrorTypes, ['CONFIG', 'DATA', 'AUTH', 'NOT_FOUND']);
});

test("a source's or sink's own retry: changes only the fields it gives", () => {
  const retry = activityOptions(defaults(), { maximum_attempts: 100, maximum_interval: '5m' }).retry;
  assert.deepEqual([retry?.initialInterval, retry?.maximumInterval, retry?.maximumAttempts], ['1s', '5m', 100]);
});

test('transforms get at most 3 attempts, fewer when the pipeline allows fewer', () => {
  assert.equal(activityOptions(defaults(), transformRetry(defaults())).retry?.maximumAttempts, 3);
  const strict = { ...defaults(), retry: { ...defaults().retry, maximum_attempts: 2 } };
  assert.equal(activityOptions(strict, transformRetry(strict)).retry?.maximumAttempts, 2);
});
