/**
 * Where the Temporal SDK's own log lines go on a Ferry worker. An activity failure is already one
 * line from the activity boundary's reporter (`✖ … ingest customers (attempt 2): … — will retry`),
 * so the SDK's multi-line "Activity failed" warning with its stack trace is dropped for Ferry's
 * own failures and shortened to one line for anything else, and its "Workflow failed" is dropped
 * when those lines already told why; every other SDK message (a lost
 * connection, a workflow task failure) is still printed, on one line.
 *
 *   Runtime.install({ logger: new DefaultLogger('WARN', sdkLogFunction()) });
 */
import type { LogEntry } from '@temporalio/worker';
import { ApplicationFailure } from '@temporalio/common';

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
  if (error.message !== 'Activity task failed') return false;
  return !/^activity \w+ timeout$/i.test(innermost(error).message);
}

export function sdkLogFunction(write: (line: string) => void = (l) => process.stderr.write(l)): (entry: LogEntry) => void {
  return ({ level, message, meta }) => {
    const error = meta?.error as (Error & { type?: string }) | undefined;
    if (message === ACTIVITY_FAILED && error instanceof ApplicationFailure) return; // the reporter printed it
    if (message === WORKFLOW_FAILED && toldByActivities(error)) return;
    const at = new Date().toISOString().slice(11, 19);
    const where = [meta?.activityType, meta?.workflowType, meta?.workflowId].filter(Boolean).join(' ');
    const root = error ? innermost(error) : undefined; // "Activity task failed" names no reason; its cause does
    const cause = root ? `: ${root.name}: ${firstLine(root.message)}` : '';
    write(`${at} [${level}] ${message}${where ? ` (${where})` : ''}${cause}\n`);
  };
}

const firstLine = (text: string | undefined): string => (text ?? '').split('\n')[0]!.slice(0, 500);
