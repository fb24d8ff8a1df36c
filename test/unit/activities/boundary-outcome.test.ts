/**
 * Whether Temporal tries a failed attempt again (the `retrying` vs `failed` outcome of an attempt's
 * report): a non-retryable failure or type never, a retryable one while the policy allows attempts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import { retriesAfter } from '../../../activities/boundary.js';

test('retriesAfter: non-retryable, excluded types and the last allowed attempt do not retry', () => {
  const transient = ApplicationFailure.create({ message: 'HTTP 503', type: 'TRANSIENT' });
  const data = ApplicationFailure.create({ message: 'bad row', type: 'DATA', nonRetryable: true });
  const policy = { maximumAttempts: 3, nonRetryableErrorTypes: ['CONFIG', 'DATA', 'AUTH', 'NOT_FOUND'] };
  const cases: [ApplicationFailure, number, typeof policy | undefined, boolean][] = [
    [transient, 1, policy, true],
    [transient, 2, policy, true],
    [transient, 3, policy, false],
    [transient, 30, { ...policy, maximumAttempts: 0 }, true], // 0: unlimited
    [transient, 5, undefined, true], // no policy known: the server decides, assume it retries
    [data, 1, policy, false],
    [ApplicationFailure.create({ message: 'no such table', type: 'NOT_FOUND' }), 1, policy, false],
  ];
  for (const [failure, attempt, p, want] of cases) assert.equal(retriesAfter(failure, attempt, p), want, `${failure.type} attempt ${attempt}`);
});
