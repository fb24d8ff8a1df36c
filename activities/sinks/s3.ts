/**
 * `s3` sink: writes a dataset as one CSV, JSON, NDJSON or Parquet object — or one per partition
 * (`partition_by`), under a version folder (`versioned`), or merged into what is there
 * (`mode: upsert`). The key is deterministic (it may use `{run_date}`, `{run_time}`, `{run_id}`,
 * the older `{date}` and `${run.…}`: the logical run's, src/pipeline/run-refs.ts). CSV output
 * follows the same NULL / empty-string rules as the file sink (csv.null_values).
 *
 *   sinks:
 *     lake:
 *       type: s3
 *       connection: lake
 *       input: sales_final
 *       bucket: ferry-demo
 *       key: curated/sales_enriched.csv      # s3://ferry-demo/curated/sales_enriched.csv
 *       # versioned: true                   # …/sales_enriched.csv/2024-05-01T00.00.00.000Z/sales_enriched.csv + _versions.json
 *       # partition_by: [country]           # key is a folder: …/country=DE/part-0.csv
 *       # mode: upsert                      # merge by keys into the existing object (CSV or Parquet)
 *       # keys: [sale_id]
 *       # modified_column: updated_at       # the newest row wins
 *       # part_size_mb: 16                  # multipart upload above this size
 *
 * Failure semantics: every object is a whole-object PUT (or multipart upload, completed in one
 * request): readers never see half an object, and a retry writes the same keys again. Each attempt
 * first aborts the multipart uploads still open for the keys it writes (a killed worker's
 * leftovers); a cancelled or failed upload aborts itself. `versioned`: a re-run of the same logical
 * run overwrites its own version (the version is the run's time) and its manifest entry; a new
 * logical run adds a version. `partition_by`, overwrite: partition files of an earlier write to the
 * same folder that this write did not produce are deleted after it. `mode: upsert`: read, merge,
 * conditional PUT (If-Match), redone on a concurrent write; retrying merges the same rows again and
 * gives the same object (src/connect/s3-upsert.ts). Cancellation stops the transfer in flight.
 *
 * Running a logical run again (a backfill, `ferry run --date D` twice): a key with `{run_date}` or
 * `{run_id}` names that run's object, which the new run overwrites (replace per logical run); a
 * key without them is one object that every run overwrites, the last run's data (docs/run-dates.md).
 */
import { z } from 'zod';
import { join } from 'node:path';
import { adapterCommon } from '../../src/pipeline/retry.js';
import { s3Client, uploadFile, s3Uri, ensureBucket, badKeyReason } from '../../src/connect/s3.js';
import { abortLeftovers } from './s3-leftovers.js';
import { CONTENT_TYPES } from '../../src/connect/s3-partitions.js';
import { upsertObject, describeUpsert } from '../../src/connect/s3-upsert.js';
import { versionOf, versionedKey, versionFolder, recordVersion, type VersionEntry } from '../../src/connect/s3-versions.js';
import { fileFormatSchema, csvOptionsSchema, formatFromPath, writeTableFile } from '../../src/table/formats.js';
import { fileDigest } from '../../src/table/engine.js';
import { ConfigError } from '../../src/errors.js';
import type { SinkAdapter, SinkContext } from '../adapter.js';
import { writePartitions } from './s3-partitioned.js';

const MiB = 1024 * 1024;

const schema = z.strictObject({
  type: z.literal('s3'),
  ...adapterCommon,
  connection: z.string().describe('name of a connection in config/connections.yaml'),
  input: z.string().describe('the dataset to deliver'),
  bucket: z.string().min(1),
  key: z.string().min(1).refine((k) => !badKeyReason(k), { message: 'a key may not contain ".." or "." segments' })
    .describe('may use {run_date}, {run_time}, {run_id} ({date} = {run_date}) and ${run.…}; with partition_by, the folder of the partitions'),
  format: fileFormatSchema.optional().describe('default: from the file extension'),
  csv: csvOptionsSchema.partial().optional().describe('delimiter, quote, header, null_values'),
  create_bucket: z.boolean().default(false).describe('create the bucket when it does not exist (for tests and local MinIO; production buckets are made by their owners)'),
  mode: z.enum(['overwrite', 'upsert']).optional()
    .describe('overwrite (default): the object is this run\'s data; upsert: merge into the existing object (CSV or Parquet) by keys, written back with a conditional PUT'),
  keys: z.array(z.string().min(1)).min(1).optional().describe('mode upsert: the key columns (one row per key in the incoming data, else a DATA error)'),
  modified_column: z.string().min(1).optional()
    .describe('mode upsert: a key in both keeps the row with the newest value here (NULL is oldest; a tie goes to the incoming row); without it the incoming row wins'),
  versioned: z.boolean().optional()
    .describe('Kedro-style: write to <key>/<version>/<name>, the version being the logical run\'s time (2024-05-01T00.00.00.000Z), and list it in <key>/_versions.json'),
  partition_by: z.array(z.string().min(1)).min(1).optional()
    .describe('hive-style folders <key>/col=value/part-0.<format>, one object per partition, the columns not in the files; NULL and \'\' are __HIVE_DEFAULT_PARTITION__'),
  part_size_mb: z.number().int().min(5).max(5120).optional()
    .describe('multipart upload: MiB per part (default 16; 5 to 5120); objects up to this size go in one PUT'),
}).refine((s) => (s.mode === 'upsert') === (s.keys !== undefined), { message: 'mode upsert needs keys: [column, …], and keys are for mode upsert', path: ['keys'] })
  .refine((s) => !s.modified_column || s.mode === 'upsert', { message: 'modified_column is for mode upsert', path: ['modified_column'] })
  .refine((s) => !(s.mode === 'upsert' && s.versioned), { message: 'versioned: true writes a new version per run; mode upsert merges into one object: choose one', path: ['versioned'] })
  .refine((s) => s.mode !== 'upsert' || !['json', 'ndjson'].includes(s.format ?? formatFromPath(s.key) ?? ''), { message: 'mode upsert merges CSV or Parquet objects', path: ['format'] })
  .refine((s) => s.format || formatFromPath(s.key), { message: 'cannot tell the format from the key\'s extension: set format: csv | json | ndjson | parquet', path: ['format'] })
  .refine((s) => s.mode !== 'upsert' || !s.partition_by || s.keys?.some((k) => !s.partition_by!.includes(k)),
    { message: 'mode upsert with partition_by needs a key column that is not a partition column (the partition files do not hold those)', path: ['keys'] });

export type S3SinkSpec = z.infer<typeof schema>;


/** The version a run writes: its logical time in Kedro's format (the run's start without one). */
export const runVersion = (ctx: Pick<SinkContext, 'run' | 'runStartedAt'>): string => versionOf(ctx.run?.time ?? ctx.runStartedAt);

export const s3Sink = {
  schema,
  connectionKind: 's3',
  async write(spec, ctx) {
    const format = spec.format ?? formatFromPath(spec.key);
    if (!format) throw new ConfigError(`cannot tell the format of ${spec.key}: set format`, { field: 'key' });
    const s3 = s3Client(ctx.connection(spec.connection, 's3'));
    if (spec.create_bucket) await ensureBucket(s3, spec.bucket);
    const version = spec.versioned ? runVersion(ctx) : undefined;
    const partSize = (spec.part_size_mb ?? 16) * MiB;
    const context = { dataset: ctx.dataset, field: 'key' };

    if (spec.partition_by) {
      const folder = version ? versionFolder(spec.key, version) : spec.key.replace(/\/+$/, '');
      const out = await writePartitions(s3, ctx, { ...spec, partition_by: spec.partition_by, format, folder, partSize });
      if (version) await record(spec, ctx, version, { key: `${folder}/`, rows: out.rows, bytes: out.bytes, sha256: out.sha256, files: out.files });
      const what = `${format}, ${out.files} partition${out.files === 1 ? '' : 's'} by ${spec.partition_by.join(', ')}`;
      return { target: `${s3Uri({ bucket: spec.bucket, key: folder })}/`, rows: out.rows, detail: [what, version && `version ${version}`, out.detail].filter(Boolean).join(', ') };
    }

    const obj = { bucket: spec.bucket, key: version ? versionedKey(spec.key, version) : spec.key };
    const aborted = await abortLeftovers(s3, obj.bucket, [obj.key], ctx);
    // Said in the detail too: an earlier attempt died mid-upload and its parts were removed.
    const cleaned = aborted ? `${aborted} unfinished upload${aborted === 1 ? '' : 's'} of an earlier attempt aborted` : undefined;
    if (cleaned) ctx.progress({ note: cleaned });
    const onBytes = (n: number) => ctx.progress({ note: `uploaded ${n} bytes` });

    if (spec.mode === 'upsert') {
      const r = await upsertObject(s3, ctx.table, {
        obj, dataset: ctx.dataset, keys: spec.keys!, modified: spec.modified_column, format: format as 'csv' | 'parquet', csv: spec.csv,
        contentType: CONTENT_TYPES[format], workdir: ctx.workdir, partSize, signal: ctx.signal, context, onBytes,
      });
      return { target: s3Uri(obj), rows: r.rows, detail: [`${format}, upsert: ${describeUpsert(r)}`, cleaned].filter(Boolean).join(', ') };
    }

    const local = join(ctx.workdir, `object.${format}${spec.key.endsWith('.gz') ? '.gz' : ''}`);
    await writeTableFile(ctx.table, ctx.dataset, local, { format, csv: spec.csv });
    await uploadFile(s3, local, obj, CONTENT_TYPES[format], { signal: ctx.signal, onBytes, partSize });
    if (version) {
      const digest = await fileDigest(local);
      await record(spec, ctx, version, { key: obj.key, rows: ctx.rows, ...digest });
      return { target: s3Uri(obj), rows: ctx.rows, detail: [`${format}, version ${version}`, cleaned].filter(Boolean).join(', ') };
    }
    return { target: s3Uri(obj), rows: ctx.rows, detail: [format, cleaned].filter(Boolean).join(', ') };
  },
} satisfies SinkAdapter<S3SinkSpec>;

async function record(spec: S3SinkSpec, ctx: SinkContext, version: string, what: Pick<VersionEntry, 'key' | 'rows' | 'bytes' | 'sha256' | 'files'>): Promise<void> {
  const s3 = s3Client(ctx.connection(spec.connection, 's3'));
  await recordVersion(s3, { bucket: spec.bucket, key: spec.key }, {
    version, ...what, run_id: ctx.run?.key ?? ctx.runKey, written_at: new Date().toISOString(),
  }, ctx.workdir, ctx.signal);
}
