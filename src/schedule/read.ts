/**
 * Reading Ferry's schedules back from Temporal: one by pipeline name (a clear error when there is
 * none), all of them (list), the status of the runs they started, and the times they match.
 *
 *   const s = await ferrySchedule(client, 'retail');   // description, deployed plan, memo
 *   for (const summary of await ferrySchedules(client)) …
 */
import { ScheduleNotFoundError, type Client, type ScheduleDescription, type ScheduleHandle, type ScheduleSummary, type ScheduleExecutionResult } from '@temporalio/client';
import { msNumberToTs, tsToDate } from '@temporalio/common/lib/time.js';
import { NotFoundError, ConfigError } from '../errors.js';
import { FERRY_PIPELINE } from '../search-attributes.js';
import type { RunPlan } from '../run.js';
import { listing, type RunStatus } from '../runs.js';
import type { FerryMemo } from './options.js';

export type FerrySchedule = {
  handle: ScheduleHandle;
  description: ScheduleDescription;
  /** The plan the schedule starts runs with (its action's argument). */
  plan: RunPlan;
  memo?: FerryMemo;
};

/** The one line a user reads when a schedule does not exist. */
export const unknownSchedule = (id: string): NotFoundError =>
  new NotFoundError(`no schedule ${id}: \`ferry schedule list\` shows the schedules`);

/** Runs `fn`, turning Temporal's "schedule not found" into unknownSchedule(id). */
export async function orUnknown<T>(id: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) throw unknownSchedule(id);
    throw err;
  }
}

/** Was it deployed by Ferry? Its memo or search attribute says so. */
export const isFerry = (s: Pick<ScheduleSummary, 'memo' | 'typedSearchAttributes'>): boolean =>
  !!(s.memo as { ferry?: unknown } | undefined)?.ferry || s.typedSearchAttributes?.get(FERRY_PIPELINE) !== undefined;

/** A Ferry schedule by its pipeline's name; NotFoundError if there is none, ConfigError if it is not Ferry's. */
export async function ferrySchedule(client: Client, id: string): Promise<FerrySchedule> {
  const handle = client.schedule.getHandle(id);
  const description = await orUnknown(id, () => handle.describe());
  const plan = description.action.args?.[0] as RunPlan | undefined;
  if (!isFerry(description) || description.action.workflowType !== 'pipeline' || !plan?.spec) {
    throw new ConfigError(`schedule ${id} was not deployed by Ferry (\`ferry schedule apply\`); manage it with the temporal CLI`);
  }
  const memo = (description.action.memo as { ferry?: FerryMemo } | undefined)?.ferry;
  return { handle, description, plan, ...(memo ? { memo } : {}) };
}

/** Every schedule Ferry deployed, by id (visibility: a just-created schedule may take a moment to appear). */
export async function ferrySchedules(client: Client): Promise<ScheduleSummary[]> {
  const out: ScheduleSummary[] = [];
  for await (const s of client.schedule.list()) if (isFerry(s)) out.push(s);
  return out.sort((a, b) => a.scheduleId.localeCompare(b.scheduleId));
}

export type ScheduledRun = {
  workflowId: string; runId: string; scheduledAt: Date; takenAt: Date; status: RunStatus | 'unknown';
  /** A failed run's Ferry message (from the report in its memo): Temporal's pause note only says "Activity task failed". */
  error?: string;
  /** A failed or cancelled run that `ferry retry` continued: the retry's status (the same workflow id, a later execution). */
  retried?: RunStatus;
};

/** The status of each run a schedule started (newest first); `unknown` when its history is gone. */
export async function scheduledRuns(client: Client, actions: ScheduleExecutionResult[]): Promise<ScheduledRun[]> {
  const runs = await Promise.all(actions.map(async (a) => {
    const { workflowId, firstExecutionRunId } = a.action.workflow;
    const { status, error } = await client.workflow.getHandle(workflowId, firstExecutionRunId).describe()
      .then((d) => { const l = listing(d); return { status: l.status, error: l.report?.error }; }, () => ({ status: 'unknown' as const, error: undefined }));
    const retried = status === 'failed' || status === 'cancelled' ? await retryOf(client, workflowId, firstExecutionRunId) : undefined;
    return { workflowId, runId: firstExecutionRunId, scheduledAt: a.scheduledAt, takenAt: a.takenAt, status, ...(error ? { error } : {}), ...(retried ? { retried } : {}) };
  }));
  return runs.sort((x, y) => y.takenAt.getTime() - x.takenAt.getTime());
}

/** The status of the latest execution of `workflowId` when it is a `ferry retry` of another run (else undefined). */
async function retryOf(client: Client, workflowId: string, runId: string): Promise<RunStatus | undefined> {
  const latest = await client.workflow.getHandle(workflowId).describe().then(listing, () => undefined);
  return latest && latest.runId !== runId && latest.trigger === 'retry' ? latest.status : undefined;
}

/** The nominal times the schedule matches in [start, end] (Temporal computes them: no cron code here). */
export async function matchingTimes(client: Client, id: string, start: Date, end: Date): Promise<Date[]> {
  const res = await orUnknown(id, async () => {
    try {
      return await client.workflowService.listScheduleMatchingTimes({
        namespace: client.options.namespace,
        scheduleId: id,
        startTime: msNumberToTs(start.getTime()),
        endTime: msNumberToTs(end.getTime()),
      });
    } catch (err) {
      if ((err as { code?: number }).code === 5) throw new ScheduleNotFoundError('schedule not found', id);
      throw err;
    }
  });
  return (res.startTime ?? []).map((t) => tsToDate(t));
}
