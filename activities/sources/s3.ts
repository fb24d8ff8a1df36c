/**
 * `s3` source: one CSV, JSON, NDJSON or Parquet object (optionally `.gz`), downloaded to the
 * worker and read by DuckDB. A retry downloads the object again; errors name the s3:// key and
 * the line, never the worker's local copy (S3 failures: see connect/s3.ts).
 *
 *   sources:
 *     sales:
 *       type: s3
 *       connection: lake
 *       bucket: ferry-demo
 *       key: raw/sales.csv
 */
import { z } from 'zod';
import { adapterCommon } from '../../src/pipeline/retry.js';
import { incrementalSchema } from '../../src/pipeline/incremental.js';
import { basename, join } from 'node:path';
import { s3Client, downloadObject, s3Uri, badKeyReason } from '../../src/connect/s3.js';
import { readTableFile, fileFormatSchema, csvOptionsSchema, columnTypesSchema, onErrorSchema, rejectsOf } from '../../src/table/formats.js';
import type { SourceAdapter } from '../adapter.js';

const schema = z.strictObject({
  type: z.literal('s3'),
  ...adapterCommon,
  connection: z.string().describe('name of a connection in config/connections.yaml'),
  bucket: z.string().min(1),
  key: z.string().min(1).refine((k) => !badKeyReason(k), { message: 'a key may not contain ".." or "." segments' }).describe('may use {run_date}, {run_time}, {run_id}'),
  format: fileFormatSchema.optional().describe('default: from the file extension'),
  csv: csvOptionsSchema.partial().optional().describe('delimiter, quote, header, null_values'),
  columns: columnTypesSchema,
  incremental: incrementalSchema.optional().describe('load only rows newer than the watermark (see Incremental loads)'),
  on_error: onErrorSchema,
});

export type S3SourceSpec = z.infer<typeof schema>;

export const s3Source = {
  schema,
  connectionKind: 's3',
  async read(spec, ctx) {
    const s3 = s3Client(ctx.connection(spec.connection, 's3'));
    const obj = { bucket: spec.bucket, key: spec.key };
    // Keep the object's file name: DuckDB reads the format and compression from the extension.
    const local = join(ctx.workdir, basename(spec.key));
    const bytes = await downloadObject(s3, obj, local, { signal: ctx.signal, onBytes: (n) => ctx.progress({ note: `downloaded ${n} bytes` }) });
    ctx.progress({ note: `downloaded ${bytes} bytes` });
    const { rejects } = await readTableFile(ctx.table, ctx.dataset, local, spec, { file: s3Uri(obj) });
    return rejects === undefined ? { detail: s3Uri(obj) } : { detail: `${s3Uri(obj)}, ${rejects} rejected`, extra: [rejectsOf(ctx.dataset)] };
  },
} satisfies SourceAdapter<S3SourceSpec>;
