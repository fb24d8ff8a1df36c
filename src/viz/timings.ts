/**
 * How long each activity of a run took, read from its history: the report times stages, but a
 * source or sink is one activity of its own, and its time (retries included) is what an operator
 * asks about. Activities are named by their summary ("ingest customers", "deliver api → …").
 *
 *   const timings = activityTimings(await handle.fetchHistory());
 *   // [{ activity: 'ingest sales', durationMs: 312, attempts: 1, closed: true }, …]
 */
import type { temporal } from '@temporalio/proto';

export type ActivityTiming = {
  /** The summary up to " → ": `ingest customers`, `deliver warehouse`, `standardize: 7 steps`. */
  activity: string;
  /** From scheduled to closed (retries and their waits included); absent while it runs. */
  durationMs?: number;
  attempts: number;
  closed: boolean;
};

type Event = temporal.api.history.v1.IHistoryEvent;

export function activityTimings(history: temporal.api.history.v1.IHistory): ActivityTiming[] {
  const events = history.events ?? [];
  const scheduled = new Map<number, { activity: string; at: number }>();
  const out = new Map<number, ActivityTiming>();
  for (const e of events) {
    const id = Number(e.eventId);
    if (e.activityTaskScheduledEventAttributes) {
      const activity = summaryOf(e) ?? e.activityTaskScheduledEventAttributes.activityType?.name ?? 'activity';
      scheduled.set(id, { activity, at: millis(e) });
      out.set(id, { activity, attempts: 1, closed: false });
      continue;
    }
    const started = e.activityTaskStartedEventAttributes;
    if (started) {
      const t = out.get(Number(started.scheduledEventId));
      if (t) t.attempts = started.attempt ?? 1;
      continue;
    }
    const closed = e.activityTaskCompletedEventAttributes ?? e.activityTaskFailedEventAttributes ?? e.activityTaskTimedOutEventAttributes ?? e.activityTaskCanceledEventAttributes;
    if (closed) {
      const s = scheduled.get(Number(closed.scheduledEventId));
      const t = out.get(Number(closed.scheduledEventId));
      if (s && t) Object.assign(t, { closed: true, durationMs: millis(e) - s.at });
    }
  }
  return [...out.values()];
}

/** The activity's summary (user metadata, a JSON string payload), cut at " → ". */
function summaryOf(e: Event): string | undefined {
  const data = e.userMetadata?.summary?.data;
  if (!data) return undefined;
  try {
    const text = JSON.parse(Buffer.from(data).toString('utf8')) as unknown;
    return typeof text === 'string' ? text.split(' → ')[0] : undefined;
  } catch {
    return undefined;
  }
}

function millis(e: Event): number {
  const t = e.eventTime;
  if (!t) return 0;
  return Number(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6);
}
