/**
 * A Ferry worker's log lines, as text (one line each, for a terminal) or JSON (one object per line,
 * for a log pipeline: `ferry worker --log-format json`).
 *
 * - Every finished activity attempt is one line (the boundary's reporter): `attemptJson` has the
 *   run, pipeline, stage, activity, dataset or sink, attempt, outcome, duration, rows and the
 *   (masked) error.
 * - The Temporal SDK's own lines: an activity failure is already the reporter's line, so the
 *   SDK's multi-line "Activity failed" warning with its stack trace is dropped for Ferry's own
 *   failures and shortened to one line for anything else, and its "Workflow failed" is dropped
 *   when those lines already told why; every other SDK message (a lost connection, a workflow
 *   task failure) is still written, on one line.
 *
 *   Runtime.install({ logger: new DefaultLogger('WARN', sdkLogFunction(write, 'json')) });
 *   report: (r) => write(attemptJson(r))
 */
import type { LogEntry } from '@temporalio/worker';
import { ApplicationFailure } from '@temporalio/common';
import type { ActivityReport } from '../activities/boundary.js';
import { maskSecrets } from './pipeline/interpolate.js';

export const LOG_FORMATS = ['text', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** One JSON log line: `ts`, `level`, `msg` first, then the fields that are set; secrets masked. */
export function jsonLine(level: string, msg: string, fields: Record<string, unknown> = {}, now = new Date()): string {
  const line = { ts: now.toISOString(), level: level.toLowerCase(), msg, ...fields };
  return `${maskSecrets(JSON.stringify(line))}\n`;
}

const LEVEL_OF: Record<NonNullable<ActivityReport['outcome']>, string> = { completed: 'info', retrying: 'warn', failed: 'error', cancelled: 'warn' };

/** The outcome of an attempt, also for reporters of an older boundary that did not set it. */
export const outcomeOf = (r: ActivityReport): NonNullable<ActivityReport['outcome']> =>
  r.outcome ?? (r.cancelled ? 'cancelled' : r.error ? (r.willRetry ? 'retrying' : 'failed') : 'completed');

/** A finished activity attempt as one JSON line. */
export function attemptJson(r: ActivityReport, now = new Date()): string {
  const outcome = outcomeOf(r);
  const msg = outcome === 'completed' ? `${r.label}: ${r.summary ?? 'completed'}`
    : outcome === 'cancelled' ? `${r.label}: cancelled`
    : `${r.label}: attempt ${r.attempt} failed${outcome === 'retrying' ? ', will retry' : ''}`;
  return jsonLine(LEVEL_OF[outcome], msg, {
    workflowId: r.workflowId, runId: r.runId, pipeline: r.pipeline, stage: r.stage, activity: r.activity ?? r.label,
    dataset: r.dataset, sink: r.sink, attempt: r.attempt, outcome, durationMs: r.durationMs, rows: r.rows,
    ...(outcome === 'retrying' || outcome === 'failed' ? { error: r.error, errorType: r.errorType } : {}),
  }, now);
}

const ACTIVITY_FAILED = 'Activity failed';
const WORKFLOW_FAILED = 'Workflow failed';

/** The innermost cause: what went wrong, where the outer errors only say that something did. */
function innermost(error: Error): Error {
  let e = error;
  while (e.cause instanceof Error) e = e.cause;
  return e;
}

/**
 * A run that failed because an activity attempt failed (or the deliver stage's summary of failed
 * sinks) was already told, one line per attempt, by the reporter; the SDK's "Workflow failed:
 * Activity task failed" would tell it again, saying less. An activity that timed out (its worker
 * died) was told by no one, so that one stays. The error comes from the workflow thread as a plain
 * Error with its cause chain, so it is recognised by its messages, not its class.
 */
function toldByActivities(error: Error | undefined): boolean {
  if (!error) return false;
  if (/^\d+ of \d+ sinks failed: /.test(error.message)) return true;
  // The run fails with Ferry's message, its cause the activity failure (workflows/report.ts runFailure).
  const activity = error.message === 'Activity task failed' ? error : error.cause instanceof Error && error.cause.message === 'Activity task failed' ? error.cause : undefined;
  if (!activity) return false;
  return !/^activity \w+ timeout$/i.test(innermost(activity).message);
}

export function sdkLogFunction(write: (line: string) => void = (l) => process.stderr.write(l), format: LogFormat = 'text'): (entry: LogEntry) => void {
  return ({ level, message, meta }) => {
    const error = meta?.error as (Error & { type?: string }) | undefined;
    if (message === ACTIVITY_FAILED && error instanceof ApplicationFailure) return; // the reporter printed it
    if (message === WORKFLOW_FAILED && toldByActivities(error)) return;
    // The workers of rate-limited connections (src/rate-limit.ts) run activities only, on purpose.
    if (message.startsWith('No workflows registered, not polling for workflow tasks')) return;
    if (format === 'json') {
      const root = error ? innermost(error) : undefined;
      // The SDK's own fields (task queue, workflow and run ids, activity type, attempt, state…): plain values only.
      const fields = Object.fromEntries(Object.entries(meta ?? {})
        .filter(([key, v]) => !['error', 'ts', 'level', 'msg', 'source'].includes(key) && (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean'))
        .map(([key, v]) => [key === 'activityType' ? 'activity' : key, typeof v === 'string' ? firstLine(v) : v]));
      write(jsonLine(level, firstLine(message), { source: 'temporal-sdk', ...fields, ...(root ? { error: `${root.name}: ${firstLine(root.message)}` } : {}) }));
      return;
    }
    const at = new Date().toISOString().slice(11, 19);
    const where = [meta?.activityType, meta?.workflowType, meta?.workflowId].filter(Boolean).join(' ');
    const root = error ? innermost(error) : undefined; // "Activity task failed" names no reason; its cause does
    const cause = root ? `: ${root.name}: ${firstLine(root.message)}` : '';
    write(maskSecrets(`${at} [${level}] ${firstLine(message)}${where ? ` (${where})` : ''}${cause}\n`));
  };
}

const firstLine = (text: string | undefined): string => (text ?? '').split('\n')[0]!.slice(0, 500);
