/**
 * What a run's pending activities are doing, read from `describe()`: the progress they last
 * heartbeated (page, batch, rows) and, for an activity being retried, its attempt and last error.
 *
 *   ingest customers: page 2 · 8 rows
 *   deliver api: batch 1 · 500 rows — attempt 3, last error: HTTP 503 Service Unavailable
 */
import type { temporal } from '@temporalio/proto';
import type { Progress } from '../../activities/adapter.js';

type Pending = temporal.api.workflow.v1.IPendingActivityInfo;

/** What the activity last heartbeated, if anything (JSON payloads: the default data converter). */
function heartbeat(a: Pending): Progress | undefined {
  const data = a.heartbeatDetails?.payloads?.[0]?.data;
  if (!data) return undefined;
  try {
    return JSON.parse(Buffer.from(data).toString('utf8')) as Progress;
  } catch {
    return undefined;
  }
}

/** The innermost message of a failure chain names the cause ("HTTP 503 …"), not the wrapper. */
function failureMessage(f: temporal.api.failure.v1.IFailure | null | undefined): string | undefined {
  let message = f?.message ?? undefined;
  for (let c = f?.cause; c; c = c.cause) if (c.message) message = c.message;
  return message;
}

/** `progress`: the activity has reported something (page, batch, rows) beyond having started. */
export type ActivityLine = { key: string; text: string; attempt: number; progress: boolean };

export function activityLines(pending: Pending[] | null | undefined): ActivityLine[] {
  return (pending ?? []).map((a) => {
    const p = heartbeat(a);
    const name = p?.activity ?? a.activityType?.name ?? 'activity';
    const parts = [p?.page !== undefined && `page ${p.page}`, p?.batch !== undefined && `batch ${p.batch}`, p?.rows !== undefined && `${p.rows} rows`, p?.note].filter(Boolean);
    const attempt = a.attempt ?? 1;
    const error = failureMessage(a.lastFailure);
    const retry = attempt > 1 ? ` — attempt ${attempt}${a.maximumAttempts ? ` of ${a.maximumAttempts}` : ''}${error ? `, last error: ${error}` : ''}` : '';
    // Scheduled again after a failed attempt: it is in its retry backoff, not starting for the first time.
    const waiting = attempt > 1 ? 'waiting to retry' : 'waiting to start';
    return { key: a.activityId ?? name, attempt, progress: parts.length > 0, text: `${name}: ${parts.join(' · ') || (a.state === 1 ? waiting : 'started')}${retry}` };
  });
}
