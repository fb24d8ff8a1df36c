/**
 * `ferry retry <id>`: runs a failed or cancelled run again as the same logical run (the same
 * workflow id, so load records, Idempotency-Keys and S3 keys are the same), from its staged data:
 * stages whose outputs are still staged with the same sha256 are not computed again, and only the
 * sinks that did not complete are delivered — an append sink never gets the same rows twice.
 *
 *   const handle = await retryRun(client, 'retail-20261123T164750Z-huz6');
 *
 * What the previous run did is read from its history (the plan it started with, the results of
 * its completed activities), so no worker needs to be running to answer, and a retry of a retry
 * keeps what both runs did.
 */
import { WorkflowNotFoundError, type Client, type WorkflowHandle } from '@temporalio/client';
import { decodeArrayFromPayloads } from '@temporalio/common/lib/internal-non-workflow/index.js';
import type { temporal } from '@temporalio/proto';
import { ConfigError } from './errors.js';
import { settings } from './config.js';
import { startRun } from './client.js';
import { SCHEDULED_START_TIME } from './search-attributes.js';
import type { RunPlan, RunResume, IngestOutput, TransformOutput, DeliverOutput } from './run.js';
import { noSuchRun } from './runs.js';

/** Closed states a run can be retried from; Temporal's ALLOW_DUPLICATE_FAILED_ONLY allows exactly these. */
const RETRYABLE_STATES = ['FAILED', 'CANCELLED', 'TERMINATED', 'TIMED_OUT'];

/** `taskQueue`: where the retry runs (default: the retried run's queue). */
export async function retryRun(client: Client, workflowId: string, options: { taskQueue?: string } = {}): Promise<WorkflowHandle> {
  const handle = client.workflow.getHandle(workflowId);
  const desc = await handle.describe().catch((err: unknown) => {
    if (err instanceof WorkflowNotFoundError) throw noSuchRun(workflowId);
    throw err;
  });
  const state = desc.status.name;
  if (state === 'RUNNING') throw new ConfigError(`run ${workflowId} is still running; cancel it first (ferry cancel ${workflowId})`);
  if (!RETRYABLE_STATES.includes(state)) {
    throw new ConfigError(`run ${workflowId} ${state.toLowerCase()}; only a failed or cancelled run can be retried (to run it again, start it with ferry run --id ${workflowId})`);
  }
  const history = await handle.fetchHistory();
  const { plan, taskQueue, activities } = await readHistory(client, history);
  // The same logical run: its time too (a scheduled run's plan has none; Temporal recorded it).
  const scheduled = desc.typedSearchAttributes.get(SCHEDULED_START_TIME);
  const time = plan.run?.time ?? scheduled?.toISOString() ?? desc.startTime.toISOString();
  return startRun(client, { ...plan, resume: resumeOf(plan, desc.runId, activities) }, {
    id: workflowId,
    taskQueue: options.taskQueue ?? taskQueue ?? settings().taskQueue,
    time,
    trigger: 'retry',
    // Reuse the id of a run that did not complete; never of one that did (that would deliver twice).
    workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
  });
}

/** A completed activity of the previous run: its type, input and result. */
export type CompletedActivity = { type: string; input: unknown; result: unknown };

/**
 * What the retried run takes over: the previous run's own resume (what it reused itself), then
 * every activity it completed. Only the shapes are trusted here; the workflow verifies the files.
 */
export function resumeOf(plan: RunPlan, fromRunId: string, completed: CompletedActivity[]): RunResume {
  const prev = plan.resume;
  const resume: RunResume = { fromRunId, generation: prev ? (prev.generation ?? prev.fromRunId) : fromRunId, ingest: { ...prev?.ingest }, delivered: { ...prev?.delivered } };
  if (prev?.standardize) resume.standardize = prev.standardize;
  if (prev?.preprocess) resume.preprocess = prev.preprocess;
  for (const { type, input, result } of completed) {
    const i = input as { dataset?: string; stage?: string; sink?: string };
    if (type === 'ingest' && i.dataset) resume.ingest[i.dataset] = result as IngestOutput;
    else if (type === 'transform' && (i.stage === 'standardize' || i.stage === 'preprocess')) resume[i.stage] = result as TransformOutput;
    else if (type === 'deliver' && i.sink) resume.delivered[i.sink] = result as DeliverOutput;
  }
  return resume;
}

async function readHistory(client: Client, history: temporal.api.history.v1.IHistory) {
  const converter = client.options.loadedDataConverter;
  const events = history.events ?? [];
  const started = events[0]?.workflowExecutionStartedEventAttributes;
  if (!started) throw new ConfigError('the run\'s history has no start event');
  const [plan] = (await decodeArrayFromPayloads(converter, started.input?.payloads)) as [RunPlan];
  const scheduled = new Map(events.filter((e) => e.activityTaskScheduledEventAttributes).map((e) => [Number(e.eventId), e.activityTaskScheduledEventAttributes!]));
  const activities: CompletedActivity[] = [];
  for (const e of events) {
    const done = e.activityTaskCompletedEventAttributes;
    if (!done) continue;
    const s = scheduled.get(Number(done.scheduledEventId));
    if (!s) continue;
    const [input] = await decodeArrayFromPayloads(converter, s.input?.payloads);
    const [result] = await decodeArrayFromPayloads(converter, done.result?.payloads);
    activities.push({ type: s.activityType?.name ?? '', input, result });
  }
  return { plan, taskQueue: started.taskQueue?.name ?? undefined, activities };
}
