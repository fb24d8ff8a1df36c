/**
 * What happened in runs, read from Temporal alone (no worker needed for a finished run): the list
 * from visibility, filtered by Ferry's search attributes (the same query works in the Temporal
 * UI), the rows each listed run delivered, and one run's report.
 *
 *   for (const run of await listRuns(client, { pipeline: 'retail', status: 'failed', limit: 20 })) …
 *   const { status, report } = await readRun(client, 'retail-2024-01-05T00:00:00Z');
 */
import { WorkflowNotFoundError, type Client, type WorkflowExecutionDescription, type WorkflowExecutionInfo, type WorkflowHandle } from '@temporalio/client';
import { NotFoundError } from './errors.js';
import type { RunReport } from './run.js';
import { runQuery, type RunFilter, type RunStatus } from './run-filter.js';
import { FERRY_GATE, FERRY_PIPELINE, FERRY_RUN_DATE, FERRY_TRIGGER } from './search-attributes.js';
import type { GateMemo } from '../workflows/gate.js';

export { RUN_STATUSES, runQuery, runsUrl, parseSince, parseStatus, parseTrigger, type RunFilter, type RunStatus, type StatusFilter } from './run-filter.js';

const STATUS: Record<string, RunStatus> = {
  RUNNING: 'running', COMPLETED: 'completed', FAILED: 'failed', CANCELLED: 'cancelled',
  TERMINATED: 'terminated', TIMED_OUT: 'timed out', CONTINUED_AS_NEW: 'continued',
};

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
  /** A failed or cancelled run's report, as kept in its memo (the list carries memos). */
  report?: RunReport;
  /**
   * A running run that waits at the quality gate for `ferry approve|reject|quarantine`: since when,
   * the deadline and default, and the failing rules with their sample rows (from its memo).
   */
  waiting?: GateMemo;
};

/** Runs newest first (by start time), at most `limit` (default 20). */
export async function listRuns(client: Client, filter: RunFilter = {}): Promise<RunListing[]> {
  const limit = filter.limit ?? 20;
  const runs: RunListing[] = [];
  // SQL visibility stores (the dev server's among them) order by close time, running runs first, so
  // a quick run started later can be listed after a slow one started earlier: read a margin beyond
  // `limit` and sort by start time.
  const read = limit + 100;
  for await (const wf of client.workflow.list({ query: runQuery(filter), pageSize: Math.min(1000, read) })) {
    runs.push(listing(wf));
    if (runs.length >= read) break;
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
    ...(isReport(wf.memo?.report) ? { report: wf.memo.report } : {}),
    ...(wf.status.name === 'RUNNING' && sa.get(FERRY_GATE) === 'waiting' ? { waiting: gateMemo(wf.memo?.gate) } : {}),
  };
}

/** The gate memo (workflows/gate.ts), or what can be said without it. */
function gateMemo(v: unknown): GateMemo {
  const m = (v && typeof v === 'object' ? v : {}) as Partial<GateMemo>;
  return { askedAt: m.askedAt ?? '', default: m.default ?? 'reject', rules: m.rules ?? [], failed: m.failed ?? [], ...(m.deadline ? { deadline: m.deadline } : {}) };
}

const isReport = (v: unknown): v is RunReport => !!v && typeof v === 'object' && Array.isArray((v as RunReport).sinks) && Array.isArray((v as RunReport).stages);

/**
 * Rows delivered by each listed run that has ended with a report: a completed run's result (one
 * small history read each, at most `concurrency` at a time), a failed or cancelled run's memo
 * (already in the listing). Undefined for a running, terminated or timed-out run. Only for the
 * runs shown, so the cost is bounded by `--limit`.
 */
export async function deliveredRows(client: Client, runs: RunListing[], concurrency = 8): Promise<(number | undefined)[]> {
  const out: (number | undefined)[] = runs.map((r) => rowsDelivered(r.report));
  const todo = runs.map((r, i) => [r, i] as const).filter(([r]) => r.status === 'completed');
  const next = async (): Promise<void> => {
    for (let item = todo.shift(); item; item = todo.shift()) {
      const [run, i] = item;
      const result = await client.workflow.getHandle(run.workflowId, run.runId).result().catch(() => undefined);
      out[i] = rowsDelivered(isReport(result) ? result : undefined);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, todo.length) }, next));
  return out;
}

/**
 * One run's status and report: a completed run's result; a failed or cancelled run's report kept
 * in its memo (workflows/run-context.ts keepReport); a running run's `progress` query (needs a
 * worker; `queryTimeoutMs` bounds the wait). Undefined report when none can be had (a run
 * terminated or timed out, a run recorded before reports were kept, no worker answering).
 */
export async function readRun(client: Client, workflowId: string, options: { runId?: string; queryTimeoutMs?: number; description?: WorkflowExecutionDescription } = {}): Promise<{ handle: WorkflowHandle; listing: RunListing; report?: RunReport }> {
  const handle = client.workflow.getHandle(workflowId, options.runId);
  const desc = options.description ?? (await describeRun(handle));
  const run = listing(desc);
  let report: RunReport | undefined;
  if (run.status === 'completed') {
    const result = await handle.result();
    report = isReport(result) ? result : undefined;
  } else if (run.status !== 'running') report = run.report;
  if (!report && (run.status === 'running' || run.status === 'cancelled' || run.status === 'failed')) {
    // A deadline on the call itself, not a race: a query no worker answers would otherwise stay
    // pending on the connection for the SDK's own timeout and keep `ferry status` alive ~30 s.
    const deadline = Date.now() + (options.queryTimeoutMs ?? 3000);
    report = await client.withDeadline(deadline, () => handle.query<RunReport>('progress')).catch(() => undefined);
  }
  return { handle, listing: run, ...(report ? { report } : {}) };
}

/** The one error for a run id that Temporal does not know. */
export const noSuchRun = (workflowId: string): NotFoundError => new NotFoundError(`no run with id ${workflowId} (ferry runs lists the recent ones)`);

/** A run's description; a run that does not exist is a NotFoundError naming it. */
export async function describeRun(handle: WorkflowHandle): Promise<WorkflowExecutionDescription> {
  try {
    return await handle.describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw noSuchRun(handle.workflowId);
    throw err;
  }
}

/** Rows the run's sinks delivered, summed over its sinks (undefined when no sink reported). */
export function rowsDelivered(report: RunReport | undefined): number | undefined {
  const delivered = report?.sinks.filter((s) => s.status === 'delivered' && s.rows !== undefined) ?? [];
  return delivered.length ? delivered.reduce((n, s) => n + (s.rows ?? 0), 0) : undefined;
}
