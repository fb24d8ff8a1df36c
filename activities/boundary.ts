/**
 * The activity boundary: every activity runs inside `withActivityContext`, which gives it a work
 * directory and a table engine, heartbeats its progress (the next attempt resumes from it), and
 * turns Ferry errors into Temporal failures — non-retryable for config, data and auth problems,
 * retryable (honouring Retry-After) for outages. Secrets are masked out of every message.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Context, ApplicationFailure } from '@temporalio/activity';
import type { FerryError} from '../src/errors.js';
import { withContext, type ErrorContext } from '../src/errors.js';
import { maskSecrets } from '../src/pipeline/interpolate.js';
import { TableEngine } from '../src/table/engine.js';
import type { Progress } from './adapter.js';

export type ActivityScope = {
  workdir: string;
  table: TableEngine;
  progress: (p: Progress) => void;
  resume: Progress | undefined;
  signal: AbortSignal;
  workflowId: string;
  /** The logical run (see SourceContext.runKey). */
  runKey: string;
};

/** One line per finished attempt, for whoever runs the worker (`ferry worker` prints them). */
export type ActivityReport = { label: string; workflowId: string; attempt: number; durationMs: number; summary?: string; error?: string; willRetry?: boolean };
export type Reporter = (report: ActivityReport) => void;

export async function withActivityContext<T>(
  label: string,
  context: ErrorContext,
  fn: (scope: ActivityScope) => Promise<T>,
  reporter?: { report?: Reporter; summarize: (result: T) => string },
): Promise<T> {
  const ctx = Context.current();
  const info = ctx.info;
  const started = Date.now();
  const done = (r: Partial<ActivityReport>) =>
    reporter?.report?.({ label, workflowId: info.workflowExecution?.workflowId ?? '', attempt: info.attempt, durationMs: Date.now() - started, ...r });
  const workdir = await mkdtemp(join(tmpdir(), 'ferry-'));
  let latest: Progress = { activity: label };
  const beat = () => ctx.heartbeat(latest);
  // Heartbeat on a timer too, so a long COPY or download does not look like a dead worker.
  const timer = setInterval(beat, Math.max(1000, Math.min(10_000, (info.heartbeatTimeoutMs ?? 30_000) / 3)));
  let table: TableEngine | undefined;
  try {
    table = await TableEngine.open(workdir);
    const result = await fn({
      workdir,
      table,
      progress: (p) => {
        latest = { ...latest, ...p };
        beat();
      },
      resume: info.heartbeatDetails as Progress | undefined,
      signal: ctx.cancellationSignal,
      workflowId: info.workflowExecution?.workflowId ?? info.activityId,
      runKey: info.workflowExecution?.workflowId ?? info.activityId,
    });
    done({ summary: reporter?.summarize(result) });
    return result;
  } catch (err) {
    const failure = toActivityFailure(withContext(err, context));
    done({ error: failure.message, willRetry: !failure.nonRetryable });
    throw failure;
  } finally {
    clearInterval(timer);
    table?.close();
    await rm(workdir, { recursive: true, force: true });
  }
}

export function toActivityFailure(err: FerryError): ApplicationFailure {
  return ApplicationFailure.create({
    message: maskSecrets(err.describe()),
    type: err.code,
    nonRetryable: !err.retryable,
    details: [JSON.parse(maskSecrets(JSON.stringify(err.context))) as ErrorContext],
    nextRetryDelay: err.retryAfterMs,
  });
}
