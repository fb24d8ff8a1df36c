/**
 * `file` source: a local CSV, JSON, NDJSON or Parquet file (optionally `.gz` or `.zst`).
 *
 *   sources:
 *     sales:
 *       type: file
 *       path: data/sales.csv
 *       columns: { amount: DOUBLE }   # optional: declared types are enforced, other columns kept
 *
 * The path must lie inside FERRY_FILE_ROOTS (default: the worker's working directory); anything
 * else, `..` escapes included, is a CONFIG error. A retry reads the file again from the start.
 */
import { z } from 'zod';
import { adapterCommon } from '../../src/pipeline/retry.js';
import { access } from 'node:fs/promises';
import { NotFoundError } from '../../src/errors.js';
import { confineToRoots } from '../../src/table/access.js';
import { readTableFile, fileFormatSchema, csvReadOptionsSchema, compressionSchema, columnTypesSchema, onErrorSchema, rejectsOf } from '../../src/table/formats.js';
import type { SourceAdapter } from '../adapter.js';

const schema = z.strictObject({
  type: z.literal('file'),
  ...adapterCommon,
  path: z.string().min(1).describe('relative to the worker\'s working directory; must lie inside FERRY_FILE_ROOTS (default: the working directory); may use {run_date}, {run_time}, {run_id}'),
  format: fileFormatSchema.optional().describe('default: from the file extension'),
  csv: csvReadOptionsSchema.partial().optional().describe('delimiter, quote, escape, header, null_values, encoding'),
  compression: compressionSchema.optional(),
  columns: columnTypesSchema,
  on_error: onErrorSchema,
});

export type FileSourceSpec = z.infer<typeof schema>;

export const fileSource = {
  schema,
  async read(spec, ctx) {
    confineToRoots(spec.path, { file: spec.path, field: 'path' });
    await access(spec.path).catch(() => {
      throw new NotFoundError(`file not found: ${spec.path}`, { file: spec.path });
    });
    const { rejects } = await readTableFile(ctx.table, ctx.dataset, spec.path, spec, { file: spec.path });
    return rejects === undefined ? { detail: spec.path } : { detail: `${spec.path}, ${rejects} rejected`, extra: [rejectsOf(ctx.dataset)] };
  },
} satisfies SourceAdapter<FileSourceSpec>;
