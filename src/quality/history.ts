/**
 * The profile history anomaly rules compare with: one small JSON record per run and dataset,
 * `_history/<pipeline>/<dataset>/<run time>_<run key>.json`, written when the run ends (finishRun,
 * every run, failed ones included: a failed run's record says so and is never compared with).
 * It lives beside the staged data (local or S3) under a folder `ferry prune` never touches, so the
 * history outlives the runs' staged files.
 *
 *   await recordHistory(staging, finishInput);                         // in finishRun
 *   const history = historyOf(staging, 'retail', 'sales', run);       // RuleContext.history
 *   await history(14);                                                 // newest first, successful only
 */
import { z } from 'zod';
import type { StagingStore } from '../staging/store.js';
import { safeSegment } from '../staging/store.js';
import type { FinishRunInput, RunContext, RunReport } from '../run.js';
import type { HistoricProfile } from './rule.js';

export const HISTORY_FOLDER = '_history';

const columnProfile = z.object({
  name: z.string(), type: z.string(), nulls: z.number(), null_ratio: z.number(), distinct: z.number(),
  mean: z.number().optional(), min: z.union([z.number(), z.string()]).optional(), max: z.union([z.number(), z.string()]).optional(),
});

/** One run's profile of one dataset, and how the run ended. */
export const historyRecordSchema = z.object({
  version: z.string().describe('the logical run (workflow id)'),
  runId: z.string().optional(),
  runTime: z.string().describe('the logical run time (ISO)'),
  status: z.string().describe('how the run ended: completed, failed, cancelled'),
  profile: z.object({ rows: z.number(), columns: z.array(columnProfile) }),
});
export type HistoryRecord = z.infer<typeof historyRecordSchema>;

/** Run times sort as text in their file names (ISO times of one format); `:` is left out for file systems that refuse it. */
const timeSegment = (time: string): string => time.replace(/:/g, '');

const folderOf = (pipeline: string, dataset: string): string => `${HISTORY_FOLDER}/${pipeline}/${safeSegment(dataset)}`;

export const historyKey = (pipeline: string, dataset: string, run: Pick<RunContext, 'time' | 'key'>): string =>
  `${folderOf(pipeline, dataset)}/${timeSegment(run.time)}_${safeSegment(run.key)}.json`;

/** Runs that count as history: they delivered (a completed run). */
const successful = (status: RunReport['status'] | string): boolean => status === 'completed';

/**
 * Writes this run's profile of every dataset quality profiled. A re-run of the same logical run
 * (same time and key) replaces its record. Returns the keys written.
 */
export async function recordHistory(staging: StagingStore, input: FinishRunInput): Promise<string[]> {
  const keys: string[] = [];
  for (const [dataset, profile] of Object.entries(input.profiles)) {
    const record: HistoryRecord = { version: input.run.key, runId: input.report.audit?.runId, runTime: input.run.time, status: input.report.status, profile };
    const key = historyKey(input.pipeline, dataset, input.run);
    await staging.writeText(key, `${JSON.stringify(record)}\n`);
    keys.push(key);
  }
  return keys;
}

/**
 * RuleContext.history for one dataset of one run: up to `limit` profiles of earlier successful
 * runs, newest (by logical run time) first. Earlier means a logical run time no later than this
 * run's (a backfill of an old day compares with the days before it), and never this run's own key.
 * A record that cannot be read as one is skipped: a broken file must not fail every later run.
 */
export function historyOf(staging: StagingStore, pipeline: string, dataset: string, run: Pick<RunContext, 'time' | 'key'>) {
  return async (limit: number): Promise<HistoricProfile[]> => {
    const folder = folderOf(pipeline, dataset);
    const own = `${timeSegment(run.time)}_${safeSegment(run.key)}.json`;
    const names = (await staging.list(folder))
      .map((k) => k.slice(folder.length + 1))
      .filter((name) => name.endsWith('.json') && !name.includes('/') && name !== own && name.slice(0, name.indexOf('_')) <= timeSegment(run.time))
      .sort()
      .reverse();
    const found: HistoricProfile[] = [];
    for (const name of names) {
      if (found.length >= limit) break;
      const record = await readRecord(staging, `${folder}/${name}`);
      if (!record || !successful(record.status) || record.version === run.key) continue;
      found.push({ version: record.version, runTime: record.runTime, profile: record.profile });
    }
    return found;
  };
}

async function readRecord(staging: StagingStore, key: string): Promise<HistoryRecord | undefined> {
  const got = await staging.readText(key);
  if (!got) return undefined;
  try {
    const parsed = historyRecordSchema.safeParse(JSON.parse(got.text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
