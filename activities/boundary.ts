/**
 * The activity boundary: every activity runs inside `withActivityContext`, which gives it a work
 * directory and a table engine, heartbeats its progress (the next attempt resumes from it), and
 * turns Ferry errors into Temporal failures — non-retryable for config, data and auth problems,
 * retryable (honouring Retry-After) for outages, a few attempts only for unclassified errors.
 * Secrets are masked out of every message.
 *
 * Every retry resumes and every stop stops:
 * - the timer heartbeat starts from the previous attempt's details, so an attempt that has not
 *   saved anything yet never overwrites the cursor it was given;
 * - a heartbeat means progress: an attempt whose adapter has not called `progress()` for
 *   `stallTimeoutMs` fails (retryable) instead of being kept alive by the timer;
 * - cancellation (and a stall) aborts `signal`, interrupts DuckDB, and stops waiting for an
 *   adapter that ignores the signal.
 */
import { rm } from 'node:fs/promises';
import { Context, ApplicationFailure, CancelledFailure } from '@temporalio/activity';
import type { FerryError } from '../src/errors.js';
import { TransientError, withContext, type ErrorContext } from '../src/errors.js';
import { UNKNOWN_ATTEMPTS } from '../src/failures.js';
import { maskSecrets } from '../src/pipeline/interpolate.js';
import { TableEngine } from '../src/table/engine.js';
import type { Progress } from './adapter.js';
import { makeWorkdir } from './workdirs.js';
import { checkDuration } from './slice.js';

export type ActivityScope = {
  workdir: string;
  table: TableEngine;
  progress: (p: Progress) => void;
  resume: Progress | undefined;
  signal: AbortSignal;
  workflowId: string;
  /** The logical run (see SourceContext.runKey). */
  runKey: string;
  /** This workflow execution's Temporal run id (a re-run of the same logical run has another). */
  execution: string;
};

/** One line per finished attempt, for whoever runs the worker (`ferry worker` prints them). */
export type ActivityReport = { label: string; workflowId: string; attempt: number; durationMs: number; summary?: string; error?: string; willRetry?: boolean; cancelled?: boolean };
export type Reporter = (report: ActivityReport) => void;

export type BoundaryOptions<T> = {
  report?: Reporter;
  summarize: (result: T) => string;
  /** Fail the attempt when the adapter reports no progress for this long (`5m`, or ms; unset: never). */
  stallTimeout?: string | number;
  /** The pipeline of the run: its engine may use only this run's folder of the staging store. */
  pipeline?: string;
};

/** Heartbeat details stay small whatever an adapter puts in its progress (they are stored in history). */
export const MAX_HEARTBEAT_BYTES = 16 * 1024;

/** How long an aborted adapter gets to stop by itself before the boundary stops waiting for it. */
const ABORT_GRACE_MS = 1000;

export async function withActivityContext<T>(
  label: string,
  context: ErrorContext,
  fn: (scope: ActivityScope) => Promise<T>,
  options: BoundaryOptions<T>,
): Promise<T> {
  const ctx = Context.current();
  const info = ctx.info;
  const started = Date.now();
  const workflowId = info.workflowExecution?.workflowId ?? info.activityId;
  const done = (r: Partial<ActivityReport>) =>
    options.report?.({ label, workflowId, attempt: info.attempt, durationMs: Date.now() - started, ...r });

  const resume = previousProgress(info.heartbeatDetails);
  // Start from what the previous attempt heartbeated: a timer beat before this attempt's first
  // progress() must not replace the cursor it was given.
  let latest: Progress = { ...resume, activity: label };
  let lastProgressAt = Date.now();
  const beat = () => ctx.heartbeat(capProgress(latest));

  const abort = new AbortController();
  const onCancel = () => abort.abort(ctx.cancellationSignal.reason ?? new CancelledFailure('cancelled'));
  if (ctx.cancellationSignal.aborted) onCancel();
  else ctx.cancellationSignal.addEventListener('abort', onCancel, { once: true });

  let workdir: string | undefined;
  let table: TableEngine | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    const stallMs = typeof options.stallTimeout === 'string' ? checkDuration(options.stallTimeout, 'stallTimeout', context) : options.stallTimeout;
    // Beat often (the SDK throttles what it sends): cancellation is only learned from a heartbeat's
    // answer, and a dead worker is only noticed when the beats stop.
    const every = Math.max(200, Math.min(2000, (info.heartbeatTimeoutMs || 20_000) / 4));
    timer = setInterval(() => {
      // A DuckDB statement in flight (a long read, COPY or join) is work, not a hung call.
      if (table?.busy) lastProgressAt = Date.now();
      if (stallMs && Date.now() - lastProgressAt >= stallMs) {
        abort.abort(new TransientError(`no progress for ${formatDuration(stallMs)}`, context));
      } else {
        beat();
      }
    }, every);
    beat(); // at once: progress views name the activity ("ingest customers") from its first moment
    workdir = await makeWorkdir();
    table = await TableEngine.open(workdir, options.pipeline ? { run: { pipeline: options.pipeline, workflowId } } : {});
    const scope: ActivityScope = {
      workdir,
      table,
      progress: (p) => {
        latest = { ...latest, ...p, activity: label };
        lastProgressAt = Date.now();
        beat();
      },
      resume,
      signal: abort.signal,
      workflowId,
      runKey: workflowId,
      execution: info.workflowExecution?.runId ?? '',
    };
    const result = await untilAborted(fn(scope), abort.signal, table);
    done({ summary: options.summarize(result) });
    return result;
  } catch (err) {
    const reason = ctx.cancellationSignal.aborted ? (ctx.cancellationSignal.reason as unknown) : undefined;
    // A worker that shuts down (SIGTERM) past its grace time: a plain retryable failure, so another
    // worker takes the activity over at once instead of after a heartbeat timeout.
    const shutdown = reason instanceof CancelledFailure && reason.message === 'WORKER_SHUTDOWN';
    if (reason && !shutdown) {
      // Rethrown as the SDK's own cancellation, so Temporal records the attempt as cancelled.
      done({ error: 'cancelled', willRetry: false, cancelled: true });
      throw reason instanceof CancelledFailure ? reason : new CancelledFailure('cancelled');
    }
    const failure = toActivityFailure(shutdown ? new TransientError('the worker shut down during this attempt', context) : withContext(err, context), info.attempt);
    done({ error: failure.message, willRetry: !failure.nonRetryable });
    throw failure;
  } finally {
    clearInterval(timer);
    ctx.cancellationSignal.removeEventListener('abort', onCancel);
    try {
      table?.close();
    } catch {
      // an adapter we stopped waiting for may still hold the connection; the folder goes anyway
    }
    if (workdir) await rm(workdir, { recursive: true, force: true });
  }
}

/**
 * The adapter's result, or the abort's reason as soon as the signal fires: DuckDB is interrupted,
 * and an adapter that ignores the signal gets a short grace and is then left behind (its late
 * errors are swallowed).
 */
async function untilAborted<T>(work: Promise<T>, signal: AbortSignal, table: TableEngine): Promise<T> {
  work.catch(() => undefined);
  let onAbort: () => void = () => undefined;
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () => {
      try {
        table.conn.interrupt();
      } catch {
        // nothing running
      }
      const grace = setTimeout(() => reject(signal.reason), ABORT_GRACE_MS);
      work.then(() => reject(signal.reason), () => reject(signal.reason)).finally(() => clearTimeout(grace));
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  aborted.catch(() => undefined);
  try {
    return await Promise.race([work, aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/** The previous attempt's heartbeat, if it looks like Progress (anything else is ignored). */
function previousProgress(details: unknown): Progress | undefined {
  if (!details || typeof details !== 'object' || Array.isArray(details)) return undefined;
  return details as Progress;
}

/** Progress as heartbeated: within MAX_HEARTBEAT_BYTES, dropping the cursor (and clipping the note) if needed. */
export function capProgress(p: Progress): Progress {
  const size = Buffer.byteLength(JSON.stringify(p));
  if (size <= MAX_HEARTBEAT_BYTES) return p;
  const { cursor: _cursor, note, ...rest } = p;
  const small: Progress = { ...rest, note: `${(note ?? '').slice(0, 200)}${note ? ' · ' : ''}cursor of ${size} bytes not heartbeated (limit ${MAX_HEARTBEAT_BYTES})` };
  return Buffer.byteLength(JSON.stringify(small)) <= MAX_HEARTBEAT_BYTES ? small : { activity: p.activity?.slice(0, 200), rows: p.rows, page: p.page, batch: p.batch };
}

/** 300000 → "5m", 1500 → "1.5s", 250 → "250ms". */
export function formatDuration(ms: number): string {
  const units: [string, number][] = [['h', 3_600_000], ['m', 60_000], ['s', 1000]];
  for (const [unit, size] of units) if (ms >= size) return `${Number((ms / size).toFixed(1))}${unit}`;
  return `${ms}ms`;
}

export function toActivityFailure(err: FerryError, attempt = 1): ApplicationFailure {
  // Unclassified errors get a few attempts, never the whole outage budget.
  const giveUp = err.code === 'UNKNOWN' && attempt >= UNKNOWN_ATTEMPTS;
  const message = maskSecrets(err.describe()) + (giveUp ? ` (unclassified error: not retried after attempt ${attempt})` : '');
  const failure = ApplicationFailure.create({
    message,
    type: err.code,
    nonRetryable: !err.retryable || giveUp,
    details: [JSON.parse(maskSecrets(JSON.stringify(err.context))) as ErrorContext],
    nextRetryDelay: err.retryAfterMs,
  });
  // The message and its context locate the problem; a stack of this boundary would only put the
  // worker's file paths into workflow history.
  failure.stack = '';
  return failure;
}
