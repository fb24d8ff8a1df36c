/**
 * When the next attempt of a failed activity starts (its `nextRetryDelay`). Temporal's retry policy
 * has no jitter: every activity that failed in the same outage would come back at the same moment.
 * So the boundary computes the delay itself, from the attempt number and the activity's retry policy:
 *
 * - the service said when (HTTP 429/503 `Retry-After`, seconds or an HTTP date): that long, capped
 *   at the policy's `maximum_interval` (a Retry-After of a day does not park the run for a day; the
 *   next attempt asks again, and counts as an attempt);
 * - otherwise exponential backoff with EQUAL jitter: base = initial_interval × backoff^(attempt−1),
 *   capped at maximum_interval; the delay is uniform in [base/2, base] — never longer than Temporal
 *   would wait, never shorter than half of it (full jitter could retry an outage at once).
 *
 * The worker never sleeps: the attempt ends, and the server starts the next one after the delay (a
 * durable timer; the slot is free, the worker may even restart). Non-retryable failures get none.
 *
 *   retryDelayMs({ retryAfterMs: 2000 }, 1, { initialInterval: 1000, maximumInterval: 60000 }) // 2000
 *   retryDelayMs({}, 3, { initialInterval: 1000, backoffCoefficient: 2 }) // 2000..4000
 */
import { msToNumber, type RetryPolicy } from '@temporalio/common';

/** Temporal's own defaults, used when the policy leaves a field unset. */
const DEFAULT_INITIAL_MS = 1000;
const DEFAULT_BACKOFF = 2;
const DEFAULT_MAX_FACTOR = 100;

export function retryDelayMs(err: { retryAfterMs?: number }, attempt: number, policy: RetryPolicy | undefined, random: () => number = Math.random): number | undefined {
  const initial = policy?.initialInterval !== undefined ? msToNumber(policy.initialInterval) : DEFAULT_INITIAL_MS;
  const maximum = policy?.maximumInterval !== undefined ? msToNumber(policy.maximumInterval) : initial * DEFAULT_MAX_FACTOR;
  if (err.retryAfterMs !== undefined) return Math.max(1, Math.min(Math.round(err.retryAfterMs), maximum));
  const backoff = policy?.backoffCoefficient ?? DEFAULT_BACKOFF;
  const base = Math.min(initial * backoff ** Math.max(0, attempt - 1), maximum);
  return Math.max(1, Math.round(base / 2 + random() * (base / 2)));
}
