/**
 * Where the Temporal SDK's own log lines go on a Ferry worker. An activity failure is already one
 * line from the activity boundary's reporter (`✖ … ingest customers (attempt 2): … — will retry`),
 * so the SDK's multi-line "Activity failed" warning with its stack trace is dropped for Ferry's
 * own failures and shortened to one line for anything else; every other SDK message (a lost
 * connection, a workflow task failure) is still printed, on one line.
 *
 *   Runtime.install({ logger: new DefaultLogger('WARN', sdkLogFunction()) });
 */
import type { LogEntry } from '@temporalio/worker';
import { ApplicationFailure } from '@temporalio/common';

const ACTIVITY_FAILED = 'Activity failed';

export function sdkLogFunction(write: (line: string) => void = (l) => process.stderr.write(l)): (entry: LogEntry) => void {
  return ({ level, message, meta }) => {
    const error = meta?.error as (Error & { type?: string }) | undefined;
    if (message === ACTIVITY_FAILED && error instanceof ApplicationFailure) return; // the reporter printed it
    const at = new Date().toISOString().slice(11, 19);
    const where = [meta?.activityType, meta?.workflowType, meta?.workflowId].filter(Boolean).join(' ');
    const cause = error ? `: ${error.name}: ${firstLine(error.message)}` : '';
    write(`${at} [${level}] ${message}${where ? ` (${where})` : ''}${cause}\n`);
  };
}

const firstLine = (text: string | undefined): string => (text ?? '').split('\n')[0]!.slice(0, 500);
