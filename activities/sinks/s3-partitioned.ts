/**
 * The `s3` sink's `partition_by` writes (see s3.ts): one object per partition,
 * `<folder>/col=value/part-0.<format>` (src/connect/s3-partitions.ts). Overwrite: each partition
 * object is PUT whole, then the partition files an earlier write left in the folder that this one
 * did not produce are deleted, so the folder holds exactly this write's rows. Upsert: each
 * partition present in the incoming rows is merged into its object (conditional PUT); partitions
 * without incoming rows are left as they are, and nothing is deleted.
 *
 *   partition_by: [country]   →   s3://lake/curated/sales/country=DE/part-0.csv, …/country=FR/part-0.csv
 *
 * Failure semantics: a retry writes the same keys again (and aborts the multipart uploads a killed
 * attempt left open for them); an attempt killed before the clean-up leaves stale files that the
 * retry deletes.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { uploadFile, type ObjectRef } from '../../src/connect/s3.js';
import { abortLeftovers } from './s3-leftovers.js';
import { CONTENT_TYPES, partitionsOf, partitionSelect, staleKeys, deleteKeys } from '../../src/connect/s3-partitions.js';
import { upsertObject, describeUpsert, type UpsertResult } from '../../src/connect/s3-upsert.js';
import { fileDigest, ident } from '../../src/table/engine.js';
import { writeTableFile, type CsvOptions, type FileFormat } from '../../src/table/formats.js';
import { ConfigError } from '../../src/errors.js';
import type { SinkContext } from '../adapter.js';


export type PartitionedWrite = {
  bucket: string;
  folder: string;
  format: FileFormat;
  csv?: Partial<CsvOptions>;
  partition_by: string[];
  partSize: number;
  mode?: 'overwrite' | 'upsert';
  keys?: string[];
  modified_column?: string;
};

export type PartitionedResult = { rows: number; bytes: number; sha256: string; files: number; detail?: string };

export async function writePartitions(s3: S3Client, ctx: SinkContext, spec: PartitionedWrite): Promise<PartitionedResult> {
  const context = { dataset: ctx.dataset, field: 'partition_by' };
  const parts = await partitionsOf(ctx.table, ctx.dataset, spec.partition_by, context);
  const objects = parts.map((p) => ({ part: p, obj: { bucket: spec.bucket, key: `${spec.folder}/${p.path}/part-0.${spec.format}` } as ObjectRef }));
  const aborted = await abortLeftovers(s3, spec.bucket, objects.map((o) => o.obj.key), ctx);
  const keys = spec.keys?.filter((k) => !spec.partition_by.includes(k));
  if (spec.mode === 'upsert' && !keys?.length) throw new ConfigError('mode upsert with partition_by needs a key column that is not a partition column (the partition files do not hold those)', { ...context, field: 'keys' });
  const listing: string[] = [];
  const totals = { rows: 0, bytes: 0, inserted: 0, updated: 0, kept: 0, unchanged: 0, conflicts: 0 };
  for (const [i, { part, obj }] of objects.entries()) {
    const view = `__ferry_partition_${i}`;
    await ctx.table.run(`CREATE OR REPLACE VIEW ${ident(view)} AS ${partitionSelect(ctx.dataset, spec.partition_by, part)}`);
    let digest: { bytes: number; sha256: string };
    if (spec.mode === 'upsert') {
      const r: UpsertResult = await upsertObject(s3, ctx.table, {
        obj, dataset: view, keys: keys!, modified: spec.modified_column, format: spec.format as 'csv' | 'parquet',
        csv: spec.csv, contentType: CONTENT_TYPES[spec.format], workdir: ctx.workdir, partSize: spec.partSize, signal: ctx.signal,
        context: { dataset: ctx.dataset, field: part.path },
      });
      digest = r;
      totals.rows += r.rows;
      for (const k of ['inserted', 'updated', 'kept', 'unchanged', 'conflicts'] as const) totals[k] += r[k];
    } else {
      const local = join(ctx.workdir, `part-${i}.${spec.format}`);
      await writeTableFile(ctx.table, view, local, { format: spec.format, csv: spec.csv });
      await uploadFile(s3, local, obj, CONTENT_TYPES[spec.format], { signal: ctx.signal, partSize: spec.partSize });
      digest = await fileDigest(local);
      totals.rows += await ctx.table.count(view);
    }
    await ctx.table.drop(view);
    totals.bytes += digest.bytes;
    listing.push(`${obj.key} ${digest.sha256}`);
    ctx.progress({ note: `partition ${i + 1} of ${objects.length} written (${part.path})` });
  }
  let detail: string | undefined;
  if (spec.mode === 'upsert') {
    detail = `upsert: ${describeUpsert(totals)}`;
  } else {
    const stale = await staleKeys(s3, spec.bucket, spec.folder, spec.partition_by, spec.format, new Set(objects.map((o) => o.obj.key)));
    await deleteKeys(s3, spec.bucket, stale);
    if (stale.length) detail = `${stale.length} stale partition file${stale.length === 1 ? '' : 's'} removed`;
  }
  if (aborted) detail = [detail, `${aborted} unfinished upload${aborted === 1 ? '' : 's'} of an earlier attempt aborted`].filter(Boolean).join(', ');
  const sha256 = createHash('sha256').update(listing.sort().join('\n')).digest('hex');
  return { rows: totals.rows, bytes: totals.bytes, sha256, files: objects.length, detail };
}
