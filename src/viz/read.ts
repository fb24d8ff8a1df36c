/**
 * Reads one run for the view, from Temporal alone: its listing and report (src/runs.ts readRun:
 * result, memo or progress query), its activities' timings (history), and, while it runs, what its
 * activities last heartbeated (src/client.ts runningActivities); a run that ended without a
 * report (terminated, timed out) from its history (src/run-history.ts). `ferry viz` and
 * `ferry serve` both read runs through here.
 *
 *   const run = await readRunView(client, graph, 'retail-2024-01-05T00:00:00Z');
 *   const latest = await latestRunId(client, 'retail');
 *   const ran = await pipelineOfRun(client, id);   // the pipeline as that run got it (its plan)
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { decodeArrayFromPayloads } from '@temporalio/common/lib/internal-non-workflow/index.js';
import { readRun, listRuns, noSuchRun } from '../runs.js';
import { runningActivities } from '../client.js';
import { workflowUrl } from '../config.js';
import type { RunPlan, RunReport } from '../run.js';
import type { LoadedPipeline } from '../pipeline/load.js';
import type { VizGraph } from './model.js';
import { runState, type VizRun } from './run-state.js';
import { activityTimings } from './timings.js';
import { endOfHistory, reportFromHistory } from '../run-history.js';

export type RunRead = { run: VizRun; report?: RunReport };

export async function readRunView(client: Client, graph: VizGraph, workflowId: string, options: { queryTimeoutMs?: number } = {}): Promise<RunRead> {
  let read: Awaited<ReturnType<typeof readRun>>;
  try {
    read = await readRun(client, workflowId, options);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw noSuchRun(workflowId);
    throw err;
  }
  const { handle, listing, report } = read;
  const running = listing.status === 'running';
  const [activities, history] = await Promise.all([
    running ? runningActivities(handle) : Promise.resolve([]),
    handle.fetchHistory().catch(() => undefined),
  ]);
  // A run that ended without a report (terminated, timed out) is drawn from what its history
  // tells, as `ferry status` prints it: rows of the activities that completed, the stage in flight
  // at the end marked so, sinks that never started as not started, and the termination reason.
  // A running run no worker answers for is read the same way: what ran so far, the rest pending.
  const told = !report && history ? reportFromHistory(history, listing.status, workflowId) : undefined;
  if (told) told.run.date = listing.runDate ?? told.run.date;
  if (told && running) { delete told.finishedAt; delete told.durationMs; }
  const ended = told && history ? endOfHistory(history) : undefined;
  const run = runState(graph, { listing, ...(report ?? told ? { report: report ?? told } : {}), activities, timings: history ? activityTimings(history) : [], url: workflowUrl(workflowId) });
  if (told) Object.assign(run, { reported: false }, ended?.cause ? { error: `${ended.status}: ${ended.cause}` } : {});
  return { run, ...(report ? { report } : {}) };
}

/** The newest run of a pipeline, if it has one. */
export async function latestRunId(client: Client, pipeline: string): Promise<string | undefined> {
  return (await listRuns(client, { pipeline, limit: 1 }))[0]?.workflowId;
}

/**
 * The pipeline as a run got it: the plan in its first history event (validated spec, connections
 * with `${env:…}` references only). A run page draws this, so it shows what ran even after the
 * YAML changed or left the folder. Undefined if the history has no readable plan.
 */
export async function pipelineOfRun(client: Client, workflowId: string): Promise<LoadedPipeline | undefined> {
  try {
    const history = await client.workflow.getHandle(workflowId).fetchHistory();
    const input = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads;
    const [plan] = (await decodeArrayFromPayloads(client.options.loadedDataConverter, input)) as [RunPlan | undefined];
    if (!plan?.spec?.sources || !plan.pipeline) return undefined;
    return { file: plan.file, spec: plan.spec, connections: plan.connections ?? {}, params: plan.params ?? {} };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw noSuchRun(workflowId);
    return undefined;
  }
}
