/**
 * The delay before the next attempt: Retry-After capped at maximum_interval, else exponential
 * backoff with equal jitter; and the boundary puts it on the failure as nextRetryDelay.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { retryDelayMs } from '../../../activities/retry-delay.js';
import { toActivityFailure } from '../../../activities/boundary.js';
import { TransientError, DataError } from '../../../src/errors.js';
import { msToNumber } from '@temporalio/common';

const POLICY = { initialInterval: 1000, backoffCoefficient: 2, maximumInterval: 60_000 };

test('Retry-After wins, capped at maximum_interval', () => {
  assert.equal(retryDelayMs({ retryAfterMs: 2000 }, 1, POLICY), 2000);
  assert.equal(retryDelayMs({ retryAfterMs: 86_400_000 }, 1, POLICY), 60_000);
  assert.equal(retryDelayMs({ retryAfterMs: 0 }, 1, POLICY), 1, 'Retry-After: 0 retries at once');
  assert.equal(retryDelayMs({ retryAfterMs: 5000 }, 1, { maximumInterval: '2s' }), 2000, 'durations as text');
});

test('backoff with equal jitter: every delay within [base/2, base], spread over the whole range', () => {
  for (let attempt = 1; attempt <= 10; attempt++) {
    const base = Math.min(1000 * 2 ** (attempt - 1), 60_000);
    const delays = Array.from({ length: 2000 }, () => retryDelayMs({}, attempt, POLICY)!);
    const [lo, hi] = [Math.min(...delays), Math.max(...delays)];
    assert.ok(lo >= base / 2 && hi <= base, `attempt ${attempt}: [${lo}, ${hi}] within [${base / 2}, ${base}]`);
    // Spread: both quarters of the range are hit, and the mean is near 3/4 of the base.
    assert.ok(lo < base * 0.55 && hi > base * 0.95, `attempt ${attempt}: spread [${lo}, ${hi}]`);
    const mean = delays.reduce((a, b) => a + b, 0) / delays.length;
    assert.ok(Math.abs(mean - base * 0.75) < base * 0.03, `attempt ${attempt}: mean ${mean} near ${base * 0.75}`);
  }
  assert.equal(retryDelayMs({}, 3, POLICY, () => 0), 2000);
  assert.equal(retryDelayMs({}, 3, POLICY, () => 1), 4000);
});

test('Temporal defaults when the policy leaves fields unset', () => {
  assert.equal(retryDelayMs({}, 1, {}, () => 1), 1000);
  assert.equal(retryDelayMs({}, 20, {}, () => 1), 100_000, 'maximum 100 × initial');
});

test('the boundary puts the delay on retryable failures only', () => {
  const transient = toActivityFailure(new TransientError('HTTP 503', {}, { retryAfterMs: 3000 }), 1, POLICY);
  assert.equal(msToNumber(transient.nextRetryDelay!), 3000);
  const jittered = toActivityFailure(new TransientError('HTTP 500'), 2, POLICY);
  const d = msToNumber(jittered.nextRetryDelay!);
  assert.ok(d >= 1000 && d <= 2000, `attempt 2: ${d}`);
  assert.equal(toActivityFailure(new DataError('HTTP 400: bad'), 1, POLICY).nextRetryDelay, undefined);
  assert.equal(toActivityFailure(new TransientError('x', {}, { retryAfterMs: 3000 })).nextRetryDelay, 3000, 'without a policy: Retry-After as given');
});
