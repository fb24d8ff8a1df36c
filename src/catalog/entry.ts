/**
 * A catalog entry: one version (the logical run that made it) of one dataset of one pipeline, kept
 * as small JSON beside the staged data. What Kedro's versioned datasets keep (a timestamped file),
 * plus what an analyst asks of it: schema, rows, checksum, profile, where it came from (lineage)
 * and where it went (delivered).
 *
 *   const entry = entrySchema.parse(JSON.parse(text));
 *   entry.version; entry.lineage.steps;   // ['standardize[0] rename', 'preprocess[1] join']
 */
import { z } from 'zod';

const column = z.object({ name: z.string(), type: z.string() });
const part = z.object({ uri: z.string(), rows: z.number(), bytes: z.number(), sha256: z.string() });

/** Where one stage staged the dataset: its file (or parts). */
export const stagedFileSchema = z.object({
  stage: z.string(),
  uri: z.string(),
  rows: z.number(),
  bytes: z.number(),
  sha256: z.string(),
  parts: z.array(part).optional(),
});

const columnProfile = z.object({
  name: z.string(), type: z.string(), nulls: z.number(), null_ratio: z.number(), distinct: z.number(),
  mean: z.number().optional(), min: z.union([z.number(), z.string()]).optional(), max: z.union([z.number(), z.string()]).optional(),
});

export const ENTRY_STATUSES = ['completed', 'failed', 'cancelled'] as const;

export const entrySchema = z.object({
  format: z.literal(1),
  pipeline: z.string(),
  dataset: z.string(),
  /** The logical run key (the workflow id) as given; its file name is the key made one safe path segment. */
  version: z.string(),
  run: z.object({ key: z.string(), time: z.string(), date: z.string(), trigger: z.string(), runId: z.string() }),
  /** How the run that made it ended: only a completed run's version is `latest`. */
  status: z.enum(ENTRY_STATUSES),
  recordedAt: z.string(),
  /** The final stage that staged it (the version sinks read), and that stage's file. */
  stage: z.string(),
  uri: z.string(),
  parts: z.array(part).optional(),
  rows: z.number(),
  bytes: z.number(),
  sha256: z.string(),
  columns: z.array(column),
  profile: z.object({ rows: z.number(), columns: z.array(columnProfile) }).optional(),
  lineage: z.object({ sources: z.array(z.string()), steps: z.array(z.string()) }),
  delivered: z.array(z.object({ sink: z.string(), type: z.string(), target: z.string(), rows: z.number() })),
  /** Every stage that staged a dataset of this name in the run, in order; the last is the version above. */
  stages: z.array(stagedFileSchema),
  /** Set when retention or `ferry prune` deleted the staged files: the entry stays as history (schema, rows, profile). */
  pruned: z.object({ at: z.string(), by: z.string() }).optional(),
});

export type CatalogEntry = z.infer<typeof entrySchema>;
export type StagedFile = z.infer<typeof stagedFileSchema>;

/** Newest first: by the logical run time, then by key (two runs of one instant still have an order). */
export const newestFirst = (a: CatalogEntry, b: CatalogEntry): number =>
  b.run.time.localeCompare(a.run.time) || b.version.localeCompare(a.version);

/** The newest version whose run completed and whose files are still there: what `latest` means. */
export const latestOf = (entries: CatalogEntry[]): CatalogEntry | undefined =>
  [...entries].sort(newestFirst).find((e) => e.status === 'completed' && !e.pruned);
