/**
 * `ferry schedule backfill`: the runs a schedule would have started between two times, started now
 * by Temporal (one after another by default). Each run gets the id and run date of its nominal time,
 * so a day that already ran runs again under the same workflow id (a new execution of that logical
 * run), and each sink replaces that day's output as its mode defines (docs/run-dates.md).
 *
 *   const range = backfillRange('2024-01-01', '2024-01-03', 'Europe/Berlin');  // whole days, inclusive
 *   const { runs, ids } = await backfill(client, 'retail', range, 'buffer_all', { jitter: false });
 */
import type { Client } from '@temporalio/client';
import { runTimeOf, datedRunId, isDay } from '../run-date.js';
import { dayAfter } from '../pipeline/schedule.js';
import { matchingTimes, orUnknown } from './read.js';
import { overlapOf } from './spec.js';
import { NotFoundError } from '../errors.js';

export const BACKFILL_OVERLAPS = ['buffer_all', 'allow_all', 'skip', 'buffer_one', 'cancel_other', 'terminate_other'] as const;
export type BackfillOverlap = (typeof BACKFILL_OVERLAPS)[number];

/**
 * The instants of `--from` and `--to`, both inclusive: a day is midnight in `timeZone` for `from`,
 * and its last second for `to` (so `--from 2024-01-01 --to 2024-01-03` covers three whole days).
 * A message naming the bad option, or the range.
 */
export function backfillRange(from: string, to: string, timeZone: string): { start: Date; end: Date } | string {
  const start = runTimeOf(from, timeZone);
  if (!start) return `--from ${from}: expected a day (2024-01-05) or an ISO time with a zone (2024-01-05T06:00:00Z)`;
  const end = isDay(to) && runTimeOf(to, timeZone) ? new Date(Date.parse(dayAfter(to.trim(), timeZone)) - 1000).toISOString() : runTimeOf(to, timeZone);
  if (!end) return `--to ${to}: expected a day (2024-01-05) or an ISO time with a zone (2024-01-05T06:00:00Z)`;
  if (Date.parse(end) < Date.parse(start)) return `--to ${to} is before --from ${from}`;
  return { start: new Date(start), end: new Date(end) };
}

/**
 * Asks Temporal to backfill the range; returns how many runs that makes and, for a schedule without
 * jitter, their workflow ids (Temporal starts them as the overlap policy allows: buffer_all one
 * after another, allow_all all at once). With jitter, the matching times Temporal reports are
 * jittered while the ids carry the nominal times, so only the count is known.
 */
export async function backfill(client: Client, id: string, range: { start: Date; end: Date }, overlap: BackfillOverlap, options: { jitter: boolean }): Promise<{ runs: number; ids?: string[]; running?: string[] }> {
  // Temporal looks for times after `start`: one millisecond earlier makes `start` itself count.
  const start = new Date(range.start.getTime() - 1);
  const times = await matchingTimes(client, id, start, range.end);
  if (!times.length) return { runs: 0 };
  const ids = options.jitter ? undefined : times.map((t) => datedRunId(id, t.toISOString()));
  // A run of the range still going: with allow_all Temporal cannot start its id again and drops it;
  // buffer_all starts it once that run has finished. The CLI says which, rather than stay silent.
  const running = ids ? await runningOf(client, id, ids) : [];
  await orUnknown(id, () => client.schedule.getHandle(id).backfill({ start, end: range.end, overlap: overlapOf(overlap) }));
  return { runs: times.length, ...(ids ? { ids } : {}), ...(running.length ? { running } : {}) };
}

/** Which of `ids` run now (one visibility query over the pipeline's running runs). */
async function runningOf(client: Client, pipeline: string, ids: string[]): Promise<string[]> {
  const wanted = new Set(ids);
  const found = new Set<string>();
  const query = `FerryPipeline = '${pipeline.replace(/'/g, "\\'")}' AND ExecutionStatus = 'Running'`;
  for await (const wf of client.workflow.list({ query })) if (wanted.has(wf.workflowId)) found.add(wf.workflowId);
  return ids.filter((w) => found.has(w));
}

/**
 * The run of `day` for a pipeline with a deployed schedule: the schedule's time that day, so `ferry
 * run --date 2024-01-05` is the same logical run (same workflow id) as the scheduled or backfilled
 * run of that day. Undefined when no schedule is deployed or it has no time that day (the run is
 * then for midnight); a message when it has several (an hourly schedule: the user must pick one).
 */
export async function scheduledTimeOn(client: Client, id: string, day: string, timeZone: string): Promise<{ time?: string; error?: string }> {
  const range = backfillRange(day, day, timeZone);
  if (typeof range === 'string') return { error: range };
  let times: Date[];
  try {
    times = await matchingTimes(client, id, new Date(range.start.getTime() - 1), range.end);
  } catch (err) {
    if (err instanceof NotFoundError) return {};
    throw err;
  }
  if (times.length === 1) return { time: times[0]!.toISOString() };
  if (times.length > 1) {
    const first = times[0]!.toISOString().replace(/\.000Z$/, 'Z');
    return { error: `--date ${day}: schedule ${id} runs ${times.length} times that day; give the time of the run (e.g. --date ${first}), or run them all with ferry schedule backfill ${id} --from ${day} --to ${day}` };
  }
  return {};
}
