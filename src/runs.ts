/**
 * What happened in runs, read from Temporal alone (no worker needed for a finished run): the list
 * from visibility, filtered by Ferry's search attributes, and one run's report.
 *
 *   for (const run of await listRuns(client, { pipeline: 'retail', status: 'failed', limit: 20 })) …
 *   const { status, report } = await readRun(client, 'retail-2024-01-05T00:00:00Z');
 */
import type { Client, WorkflowExecutionInfo, WorkflowHandle } from '@temporalio/client';
import type { RunReport, RunTrigger } from './run.js';
import { FERRY_PIPELINE, FERRY_RUN_DATE, FERRY_TRIGGER } from './search-attributes.js';

/** A run's status as a user reads it (Temporal's execution status, lower case). */
export type RunStatus = 'running' | 'completed' | 'failed' | 'cancelled' | 'terminated' | 'timed out' | 'continued';

const STATUS: Record<string, RunStatus> = {
  RUNNING: 'running', COMPLETED: 'completed', FAILED: 'failed', CANCELLED: 'cancelled',
  TERMINATED: 'terminated', TIMED_OUT: 'timed out', CONTINUED_AS_NEW: 'continued',
};
/** The visibility query's name of each status. */
const VISIBILITY_STATUS: Record<RunStatus, string> = {
  running: 'Running', completed: 'Completed', failed: 'Failed', cancelled: 'Canceled',
  terminated: 'Terminated', 'timed out': 'TimedOut', continued: 'ContinuedAsNew',
};
export const RUN_STATUSES = Object.keys(VISIBILITY_STATUS) as RunStatus[];

export type RunFilter = { pipeline?: string; status?: RunStatus; since?: Date; trigger?: RunTrigger; limit?: number };

/** One run in a list: what visibility knows, without reading its history. */
export type RunListing = {
  workflowId: string;
  runId: string;
  pipeline?: string;
  runDate?: string;
  trigger?: string;
  status: RunStatus;
  startTime: Date;
  closeTime?: Date;
  durationMs?: number;
};

/** The visibility query of a filter (values are quoted; names come from a fixed set). */
export function runQuery(filter: RunFilter): string {
  const q = (v: string) => `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  return [
    `WorkflowType = 'pipeline'`,
    filter.pipeline && `FerryPipeline = ${q(filter.pipeline)}`,
    filter.status && `ExecutionStatus = ${q(VISIBILITY_STATUS[filter.status])}`,
    filter.trigger && `FerryTrigger = ${q(filter.trigger)}`,
    filter.since && `StartTime >= ${q(filter.since.toISOString())}`,
  ].filter(Boolean).join(' AND ');
}

/** Runs newest first (by start time), at most `limit` (default 20). */
export async function listRuns(client: Client, filter: RunFilter = {}): Promise<RunListing[]> {
  const limit = filter.limit ?? 20;
  const runs: RunListing[] = [];
  // Visibility returns newest first; reading a little more than asked and sorting keeps the order
  // right on stores that order by close time.
  for await (const wf of client.workflow.list({ query: runQuery(filter), pageSize: Math.min(1000, limit * 2) })) {
    runs.push(listing(wf));
    if (runs.length >= limit * 2) break;
  }
  return runs.sort((a, b) => b.startTime.getTime() - a.startTime.getTime()).slice(0, limit);
}

export function listing(wf: Omit<WorkflowExecutionInfo, 'raw'>): RunListing {
  const sa = wf.typedSearchAttributes;
  const closeTime = wf.closeTime;
  return {
    workflowId: wf.workflowId,
    runId: wf.runId,
    pipeline: sa.get(FERRY_PIPELINE),
    runDate: sa.get(FERRY_RUN_DATE),
    trigger: sa.get(FERRY_TRIGGER),
    status: STATUS[wf.status.name] ?? (wf.status.name.toLowerCase() as RunStatus),
    startTime: wf.startTime,
    ...(closeTime ? { closeTime, durationMs: closeTime.getTime() - wf.startTime.getTime() } : {}),
  };
}

/**
 * One run's status and report: a completed run's result; a failed or cancelled run's report kept
 * in its memo (workflows/run-context.ts keepReport); a running run's `progress` query (needs a
 * worker; `queryTimeoutMs` bounds the wait). Undefined report when none can be had (a run
 * terminated or timed out, a run recorded before reports were kept, no worker answering).
 */
export async function readRun(client: Client, workflowId: string, options: { runId?: string; queryTimeoutMs?: number } = {}): Promise<{ handle: WorkflowHandle; listing: RunListing; report?: RunReport }> {
  const handle = client.workflow.getHandle(workflowId, options.runId);
  const desc = await handle.describe();
  const run = listing(desc);
  let report: RunReport | undefined;
  if (run.status === 'completed') report = (await handle.result()) as RunReport;
  else if (run.status !== 'running') report = (await desc.memo?.report) as RunReport | undefined;
  if (!report && (run.status === 'running' || run.status === 'cancelled' || run.status === 'failed')) {
    report = await Promise.race([
      handle.query<RunReport>('progress').catch(() => undefined),
      new Promise<undefined>((resolve) => { (setTimeout(resolve, options.queryTimeoutMs ?? 3000) as unknown as NodeJS.Timeout).unref(); }),
    ]);
  }
  return { handle, listing: run, ...(report ? { report } : {}) };
}

/** Rows the run's sinks delivered (undefined when no sink reported). */
export function rowsDelivered(report: RunReport | undefined): number | undefined {
  const delivered = report?.sinks.filter((s) => s.status === 'delivered' && s.rows !== undefined) ?? [];
  return delivered.length ? delivered.reduce((n, s) => n + (s.rows ?? 0), 0) : undefined;
}
