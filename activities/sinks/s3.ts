/**
 * `s3` sink: writes a dataset as one CSV, JSON, NDJSON or Parquet object. The key is deterministic
 * (it may use `{run_date}`, `{run_time}`, `{run_id}`, the older `{date}` and `${run.…}`: the logical
 * run's, src/pipeline/run-refs.ts), and a PUT is atomic: a retry overwrites, never duplicates.
 * CSV output follows the same NULL / empty-string rules as the file sink (csv.null_values).
 *
 * Running a logical run again (a backfill, `ferry run --date D` twice): a key with `{run_date}` or
 * `{run_id}` names that run's object, which the new run overwrites (replace per logical run); a
 * key without them is one object that every run overwrites, the last run's data (docs/run-dates.md).
 *
 *   sinks:
 *     lake:
 *       type: s3
 *       connection: lake
 *       input: sales_final
 *       bucket: ferry-demo
 *       key: curated/sales_enriched.csv
 */
import { z } from 'zod';
import { adapterCommon } from '../../src/pipeline/retry.js';
import { basename, join } from 'node:path';
import { s3Client, uploadFile, s3Uri, ensureBucket, badKeyReason } from '../../src/connect/s3.js';
import { fileFormatSchema, csvOptionsSchema, formatFromPath, writeTableFile } from '../../src/table/formats.js';
import { ConfigError } from '../../src/errors.js';
import type { SinkAdapter } from '../adapter.js';

const schema = z.strictObject({
  type: z.literal('s3'),
  ...adapterCommon,
  connection: z.string().describe('name of a connection in config/connections.yaml'),
  input: z.string().describe('the dataset to deliver'),
  bucket: z.string().min(1),
  key: z.string().min(1).refine((k) => !badKeyReason(k), { message: 'a key may not contain ".." or "." segments' }).describe('may use {run_date}, {run_time}, {run_id} ({date} = {run_date}) and ${run.…}'),
  format: fileFormatSchema.optional().describe('default: from the file extension'),
  csv: csvOptionsSchema.partial().optional().describe('delimiter, quote, header, null_values'),
  create_bucket: z.boolean().default(false),
});

export type S3SinkSpec = z.infer<typeof schema>;

const CONTENT_TYPES = { csv: 'text/csv', json: 'application/json', ndjson: 'application/x-ndjson', parquet: 'application/vnd.apache.parquet' };

export const s3Sink = {
  schema,
  connectionKind: 's3',
  async write(spec, ctx) {
    const key = spec.key; // {run_date}, {run_id}, ${run.…}: resolved by the deliver activity (src/pipeline/run-refs.ts)
    const format = spec.format ?? formatFromPath(key);
    if (!format) throw new ConfigError(`cannot tell the format of ${key}: set format`, { field: 'key' });
    const local = join(ctx.workdir, basename(key));
    await writeTableFile(ctx.table, ctx.dataset, local, { format, csv: spec.csv });
    const s3 = s3Client(ctx.connection(spec.connection, 's3'));
    if (spec.create_bucket) await ensureBucket(s3, spec.bucket);
    const obj = { bucket: spec.bucket, key };
    await uploadFile(s3, local, obj, CONTENT_TYPES[format], { signal: ctx.signal, onBytes: (n) => ctx.progress({ note: `uploaded ${n} bytes` }) });
    return { target: s3Uri(obj), rows: ctx.rows, detail: format };
  },
} satisfies SinkAdapter<S3SinkSpec>;
