/**
 * `incremental:` on a source (http, postgres, s3): load only what is new since the last run that
 * delivered everywhere. The watermark (the greatest cursor value delivered) is kept per pipeline and
 * source in the state store (src/state/) and advances only after every sink has committed.
 *
 *   sources:
 *     orders:
 *       type: postgres
 *       connection: shop
 *       query: SELECT * FROM orders WHERE updated_at > ${incremental.start}
 *       incremental: { cursor: updated_at, initial: '2024-01-01', lookback: 1h }
 *
 * `${incremental.start}` (the window's lower bound: watermark − lookback, or `initial`) pushes the
 * window down to the service (a quoted literal in SQL, the plain value in an http query; see
 * incremental-refs.ts); Ferry also keeps only rows with cursor > start itself, so a source that
 * ignores it still loads each row once. `ferry state show|set|reset` inspects and moves watermarks.
 */
import { z } from 'zod';
import { durationSchema } from './duration.js';
import type { WatermarkType } from '../state/values.js';

export const incrementalSchema = z.strictObject({
  cursor: z.string().min(1).describe('the column (or, for s3, `key` or `last_modified`) whose greatest value delivered becomes the watermark'),
  initial: z.union([z.string(), z.number()]).optional().describe('where the first run starts (a date, a time or a number); omit to load everything the first time'),
  lookback: z.union([durationSchema, z.number().nonnegative()]).optional()
    .describe('re-read this much before the watermark (a duration for time cursors, a number for numeric ones) to catch late rows; pair it with an upsert or merge sink'),
});

export type IncrementalSpec = z.infer<typeof incrementalSchema>;

/**
 * The window one run reads: rows with cursor > `start` (no `start`: everything). `watermark` is the
 * value in the state store the window was computed from (absent on the first run); `type` the
 * type of the watermark values (src/state/values.ts), known once stored or read.
 */
export type IncrementalWindow = { cursor: string; start?: string; watermark?: string; type?: WatermarkType };
