/**
 * `file` sink: writes a dataset to a local CSV, JSON, NDJSON or Parquet file (`.gz` compresses).
 * The file is written beside its target and renamed into place, so it appears whole or not at all.
 *
 *   sinks:
 *     export:
 *       type: file
 *       input: sales_final
 *       path: out/sales.csv
 */
import { z } from 'zod';
import { mkdir, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileFormatSchema, csvOptionsSchema, formatFromPath, writeTableFile } from '../../src/table/formats.js';
import { ConfigError } from '../../src/errors.js';
import type { SinkAdapter } from '../adapter.js';

const schema = z.strictObject({
  type: z.literal('file'),
  input: z.string().describe('the dataset to deliver'),
  path: z.string().min(1).describe('written beside, then renamed into place'),
  format: fileFormatSchema.optional().describe('default: from the file extension'),
  csv: csvOptionsSchema.partial().optional().describe('delimiter, quote, header, null_values'),
});

export type FileSinkSpec = z.infer<typeof schema>;

export const fileSink = {
  schema,
  async write(spec, ctx) {
    const format = spec.format ?? formatFromPath(spec.path);
    if (!format) throw new ConfigError(`cannot tell the format of ${spec.path}: set format`, { file: spec.path });
    await mkdir(dirname(spec.path), { recursive: true });
    const partial = `${spec.path}.partial${spec.path.endsWith('.gz') ? '.gz' : ''}`;
    await writeTableFile(ctx.table, ctx.dataset, partial, { format, csv: spec.csv });
    await rename(partial, spec.path);
    return { target: spec.path, rows: ctx.rows, detail: format };
  },
} satisfies SinkAdapter<FileSinkSpec>;
