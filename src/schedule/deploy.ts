/**
 * `ferry schedule apply`: creates a pipeline's schedule, updates it when what it deploys changed,
 * or leaves it alone (`unchanged`: the hash in its memo matches). Idempotent. An operator's pause
 * survives an apply; the file's `paused:` wins only when that value itself changed. `prune`
 * deletes the Ferry schedules deployed from a directory whose pipeline no longer has a schedule.
 *
 *   const outcome = await applySchedule(client, plan, { taskQueue: 'ferry' });   // 'created' | 'updated' | 'unchanged'
 */
import { resolve, dirname } from 'node:path';
import { ScheduleAlreadyRunning, ScheduleNotFoundError, type Client, type ScheduleDescription } from '@temporalio/client';
import type { RunPlan } from '../run.js';
import { ConfigError } from '../errors.js';
import { withSearchAttributeHint } from '../client.js';
import { scheduleOptions, type FerryMemo } from './options.js';
import { specSummary } from './spec.js';
import { ferrySchedule, ferrySchedules, isFerry } from './read.js';

export type ApplyOutcome = 'created' | 'updated' | 'unchanged';

export async function applySchedule(client: Client, plan: RunPlan, options: { taskQueue: string }): Promise<ApplyOutcome> {
  // A namespace without Ferry's search attributes gets told how to register them.
  return withSearchAttributeHint(client, () => deploy(client, plan, options).catch((err: unknown) => {
    throw refusedSpec(plan, err);
  }));
}

/**
 * Temporal checks the cron values (`61 25 * * *`) itself, on create and update; its client throws
 * a TypeError with the server's words (INVALID_ARGUMENT). That becomes a ConfigError naming the
 * file and the schedule, so a directory apply says which pipeline's schedule was refused.
 */
export function refusedSpec(plan: RunPlan, err: unknown): unknown {
  if (!(err instanceof TypeError) || /search attribute/i.test(err.message)) return err;
  return new ConfigError(`schedule (${specSummary(plan.spec.schedule!, true)}) of pipeline ${plan.pipeline} refused by Temporal: ${err.message}`, { file: plan.file }, { cause: err });
}

async function deploy(client: Client, plan: RunPlan, options: { taskQueue: string }): Promise<ApplyOutcome> {
  const { options: deployed, hash } = scheduleOptions(plan, options);
  const handle = client.schedule.getHandle(deployed.scheduleId);
  let current: ScheduleDescription | undefined;
  try {
    current = await handle.describe();
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
  }
  if (!current) {
    try {
      await client.schedule.create(deployed);
      return 'created';
    } catch (err) {
      if (!(err instanceof ScheduleAlreadyRunning)) throw err;
      current = await handle.describe(); // created meanwhile by another apply: update it
    }
  }
  if (!isFerry(current)) {
    throw new ConfigError(`a schedule named ${deployed.scheduleId} exists and was not deployed by Ferry; delete or rename it first`, { file: plan.file });
  }
  const memo = (current.action.memo as { ferry?: FerryMemo } | undefined)?.ferry;
  if (memo?.planHash === hash) return 'unchanged';
  const before = (current.action.args?.[0] as RunPlan | undefined)?.spec?.schedule?.paused;
  const paused = plan.spec.schedule!.paused;
  await handle.update((previous) => ({
    spec: deployed.spec,
    action: deployed.action,
    policies: deployed.policies,
    // Keep an operator's pause (and its note) unless the file's paused: changed since the last apply.
    state: before === paused ? { paused: previous.state.paused, note: previous.state.note, remainingActions: previous.state.remainingActions }
      : { paused, note: paused ? `paused by schedule.paused in ${plan.file}` : `unpaused by schedule.paused in ${plan.file}` },
  }));
  return 'updated';
}

/**
 * Deletes the Ferry schedules deployed from `dir` (their memo's file lies in it) whose pipeline is
 * not in `keep`. Schedules deployed from elsewhere are left alone. Returns the deleted ids.
 */
export async function pruneSchedules(client: Client, dir: string, keep: Set<string>): Promise<{ id: string; file: string }[]> {
  const deleted: { id: string; file: string }[] = [];
  for (const summary of await ferrySchedules(client)) {
    if (keep.has(summary.scheduleId)) continue;
    let file: string | undefined;
    try {
      file = (await ferrySchedule(client, summary.scheduleId)).memo?.file;
    } catch {
      continue; // deleted meanwhile, or not a pipeline schedule
    }
    if (!file || resolve(dirname(file)) !== resolve(dir)) continue;
    await client.schedule.getHandle(summary.scheduleId).delete().catch((err: unknown) => {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
    });
    deleted.push({ id: summary.scheduleId, file });
  }
  return deleted;
}
