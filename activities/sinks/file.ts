/**
 * `file` sink: writes a dataset to a local CSV, JSON, NDJSON or Parquet file (`.gz` compresses).
 * The file is written under a name unique to the attempt and renamed into place, so it appears
 * whole or not at all, and a retry simply writes it again. The path must lie inside FERRY_FILE_ROOTS
 * (default: the worker's working directory); anything else is a CONFIG error.
 *
 * Running a logical run again: a path with `{run_date}` or `{run_id}` is that run's file, which
 * the new run replaces; a path without them is one file that every run replaces (docs/run-dates.md).
 *
 *   sinks:
 *     export:
 *       type: file
 *       input: sales_final
 *       path: out/sales.csv
 */
import { z } from 'zod';
import { adapterCommon } from '../../src/pipeline/retry.js';
import { fileFormatSchema, csvOptionsSchema, formatFromPath, writeTableFile } from '../../src/table/formats.js';
import { ConfigError } from '../../src/errors.js';
import { confineToRoots } from '../../src/table/access.js';
import type { SinkAdapter } from '../adapter.js';

const schema = z.strictObject({
  type: z.literal('file'),
  ...adapterCommon,
  input: z.string().describe('the dataset to deliver'),
  path: z.string().min(1).describe('written under a unique temporary name, then renamed into place; must lie inside FERRY_FILE_ROOTS (default: the working directory); may use {run_date}, {run_time}, {run_id}'),
  format: fileFormatSchema.optional().describe('default: from the file extension'),
  csv: csvOptionsSchema.partial().optional().describe('delimiter, quote, header, null_values'),
});

export type FileSinkSpec = z.infer<typeof schema>;

export const fileSink = {
  schema,
  async write(spec, ctx) {
    const format = spec.format ?? formatFromPath(spec.path);
    if (!format) throw new ConfigError(`cannot tell the format of ${spec.path}: set format`, { file: spec.path });
    confineToRoots(spec.path, { file: spec.path, field: 'path' });
    try {
      await writeTableFile(ctx.table, ctx.dataset, spec.path, { format, csv: spec.csv });
    } catch (err) {
      // A path under a file, a read-only or forbidden place will not heal by retrying.
      const code = (err as { code?: string }).code ?? '';
      if (['ENOTDIR', 'EISDIR', 'EACCES', 'EPERM', 'EROFS'].includes(code)) throw new ConfigError(`cannot write ${spec.path}: ${(err as Error).message}`, { file: spec.path }, { cause: err });
      throw err;
    }
    return { target: spec.path, rows: ctx.rows, detail: format };
  },
} satisfies SinkAdapter<FileSinkSpec>;
