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
import type { RetryPolicy } from '@temporalio/common';
import type { FerryError } from '../src/errors.js';
import { TransientError, withContext, type ErrorContext } from '../src/errors.js';
import { UNKNOWN_ATTEMPTS } from '../src/failures.js';
import { maskSecrets } from '../src/pipeline/interpolate.js';
import { TableEngine } from '../src/table/engine.js';
import type { Progress } from './adapter.js';
import { makeWorkdir } from './workdirs.js';
import { checkDuration } from './slice.js';
import { retryDelayMs } from './retry-delay.js';
import { recordAttempt, recordOutput, type AttemptLabels, type AttemptOutcome } from '../src/metrics.js';

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

/**
 * One finished attempt, for whoever runs the worker (`ferry worker` prints it as a line of text or
 * JSON). `outcome`: completed; retrying (it failed and Temporal will try again); failed (no attempt
 * follows: not retryable, or the last one the retry policy allows); cancelled.
 */
export type ActivityReport = {
  label: string;
  workflowId: string;
  attempt: number;
  durationMs: number;
  summary?: string;
  error?: string;
  willRetry?: boolean;
  cancelled?: boolean;
  outcome?: 'completed' | 'retrying' | 'failed' | 'cancelled';
  /** The activity function (ingest, transform, deliver, verifyStaged), its run, pipeline, stage, dataset or sink. */
  activity?: string;
  runId?: string;
  pipeline?: string;
  stage?: string;
  dataset?: string;
  sink?: string;
  /** Rows read (ingest) or written (deliver) by a completed attempt. */
  rows?: number;
  /** The failure type of a failed attempt (CONFIG, TRANSIENT, …). */
  errorType?: string;
};
export type Reporter = (report: ActivityReport) => void;

export type BoundaryOptions<T> = {
  report?: Reporter;
  summarize: (result: T) => string;
  /** Fail the attempt when the adapter reports no progress for this long (`5m`, or ms; unset: never). */
  stallTimeout?: string | number;
  /** The pipeline of the run: its engine may use only this run's folder of the staging store. */
  pipeline?: string;
  /** The sink a deliver attempt writes (for the attempt's report and as a metrics label). */
  sink?: string;
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
    options.report?.({
      label, workflowId, attempt: info.attempt, durationMs: Date.now() - started,
      activity: info.activityType, runId: info.workflowExecution?.runId, pipeline: options.pipeline, stage: context.stage,
      dataset: context.dataset, sink: options.sink, ...r,
    });
  const measured = metricsOf(ctx, { pipeline: options.pipeline, stage: context.stage ?? 'verify', dataset: context.dataset, sink: options.sink }, started);

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
    done({ summary: options.summarize(result), outcome: 'completed', rows: rowsOf(result) });
    measured('completed', undefined, result);
    return result;
  } catch (err) {
    const reason = ctx.cancellationSignal.aborted ? (ctx.cancellationSignal.reason as unknown) : undefined;
    // A worker that shuts down (SIGTERM) past its grace time: a plain retryable failure, so another
    // worker takes the activity over at once instead of after a heartbeat timeout.
    const shutdown = reason instanceof CancelledFailure && reason.message === 'WORKER_SHUTDOWN';
    if (reason && !shutdown) {
      // Rethrown as the SDK's own cancellation, so Temporal records the attempt as cancelled.
      done({ error: 'cancelled', willRetry: false, cancelled: true, outcome: 'cancelled' });
      measured('cancelled');
      throw reason instanceof CancelledFailure ? reason : new CancelledFailure('cancelled');
    }
    const failure = toActivityFailure(shutdown ? new TransientError('the worker shut down during this attempt', context) : withContext(err, context), info.attempt, info.retryPolicy);
    const willRetry = retriesAfter(failure, info.attempt, info.retryPolicy);
    done({ error: failure.message, willRetry, outcome: willRetry ? 'retrying' : 'failed', errorType: failure.type ?? undefined });
    measured(willRetry ? 'retrying' : 'failed', failure.type ?? undefined);
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

/** Whether Temporal tries again after this failure: retryable, its type not excluded, attempts left. */
export function retriesAfter(failure: ApplicationFailure, attempt: number, policy?: { maximumAttempts?: number; nonRetryableErrorTypes?: string[] }): boolean {
  if (failure.nonRetryable) return false;
  if (failure.type && policy?.nonRetryableErrorTypes?.includes(failure.type)) return false;
  return !policy?.maximumAttempts || attempt < policy.maximumAttempts;
}

/** Rows of an ingest (its staged dataset) or a deliver (rows written); undefined for other results. */
function rowsOf(result: unknown): number | undefined {
  const r = result as { rows?: unknown; ref?: { rows?: unknown } } | undefined;
  if (typeof r?.rows === 'number') return r.rows;
  return typeof r?.ref?.rows === 'number' ? r.ref.rows : undefined;
}

/**
 * Records a finished attempt in Ferry's metrics (src/metrics.ts) through the SDK's meter: its
 * outcome and duration, and a completed attempt's rows and bytes. Metrics never fail an attempt.
 */
function metricsOf(ctx: Context, at: AttemptLabels, started: number) {
  return (outcome: AttemptOutcome, errorCode?: string, output?: unknown): void => {
    try {
      if (outcome === 'completed') recordOutput(ctx.metricMeter, at, output);
      recordAttempt(ctx.metricMeter, at, outcome, (Date.now() - started) / 1000, errorCode);
    } catch {
      // a metric that cannot be recorded is not the data's problem
    }
  };
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

/**
 * The Temporal failure for a Ferry error. With the activity's retry policy, a retryable failure
 * carries its own `nextRetryDelay` (retry-delay.ts: Retry-After capped, else backoff with jitter).
 */
export function toActivityFailure(err: FerryError, attempt = 1, policy?: RetryPolicy): ApplicationFailure {
  // Unclassified errors get a few attempts, never the whole outage budget.
  const giveUp = err.code === 'UNKNOWN' && attempt >= UNKNOWN_ATTEMPTS;
  const retryable = err.retryable && !giveUp;
  const message = maskSecrets(err.describe()) + (giveUp ? ` (unclassified error: not retried after attempt ${attempt})` : '');
  const failure = ApplicationFailure.create({
    message,
    type: err.code,
    nonRetryable: !err.retryable || giveUp,
    details: [JSON.parse(maskSecrets(JSON.stringify(err.context))) as ErrorContext],
    nextRetryDelay: !retryable ? undefined : policy ? retryDelayMs(err, attempt, policy) : err.retryAfterMs,
  });
  // The message and its context locate the problem; a stack of this boundary would only put the
  // worker's file paths into workflow history.
  failure.stack = '';
  return failure;
}
