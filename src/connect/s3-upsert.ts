/**
 * Upsert-merge of a plain CSV or Parquet object in S3, without a table format: read the object
 * (if any) and its ETag, merge the incoming rows into it by key columns, write the result back
 * with a conditional PUT (If-Match the ETag read, or If-None-Match: * when there was none).
 *
 *   await upsertObject(s3, engine, { obj: { bucket: 'lake', key: 'dim/customers.csv' }, dataset: 'customers',
 *     keys: ['customer_id'], modified: 'updated_at', format: 'csv', workdir });
 *
 * Merge rules: a key in both keeps the row with the newest `modified` value (NULL is oldest; on a
 * tie the incoming row wins); without `modified` the incoming row always wins; rows only in the
 * object are kept as they are. The result is sorted by the keys, so merging the same rows again
 * gives the same bytes. Duplicate keys in the incoming rows are a DataError naming one.
 *
 * Failure semantics: the PUT of the final key is the atomic switch — readers see the old or the
 * new object, never a half-written one, and no temporary object can be left behind. Two upserts
 * at once: the second PUT fails its condition, and the merge is redone over the object the first
 * one wrote (a few times, then a retryable TransientError), so neither loses rows. A retry after a
 * PUT that landed merges the same rows into the merged object: the same result.
 */
import { createWriteStream } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Readable } from 'node:stream';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ConfigError, DataError, TransientError, type ErrorContext } from '../errors.js';
import { ident, fileDigest, type TableEngine } from '../table/engine.js';
import { readTableFile, writeTableFile, type CsvOptions } from '../table/formats.js';
import { s3Error, s3ErrorCode, s3Uri, uploadFile, type ObjectRef } from './s3.js';
import { PreconditionFailedError } from './s3-multipart.js';

export type UpsertInput = {
  obj: ObjectRef;
  /** The incoming rows: a dataset (table or view) in `engine`. */
  dataset: string;
  keys: string[];
  modified?: string;
  format: 'csv' | 'parquet';
  csv?: Partial<CsvOptions>;
  contentType?: string;
  workdir: string;
  partSize?: number;
  signal?: AbortSignal;
  context?: ErrorContext;
  onBytes?: (bytes: number) => void;
};

export type UpsertResult = { rows: number; inserted: number; updated: number; kept: number; unchanged: number; bytes: number; sha256: string; etag?: string; conflicts: number };

const MAX_CONFLICTS = 8;

/** Fails with a DataError naming one duplicated key (and how often it occurs) in `dataset`. */
export async function checkUniqueKeys(engine: TableEngine, dataset: string, keys: string[], context: ErrorContext): Promise<void> {
  const cols = keys.map(ident).join(', ');
  const [dup] = await engine.rows(`SELECT ${keys.map((k, i) => `CAST(${ident(k)} AS VARCHAR) AS k${i}`).join(', ')}, count(*) AS n FROM ${ident(dataset)} GROUP BY ${cols} HAVING count(*) > 1 ORDER BY n DESC, ${keys.map((_k, i) => `k${i}`).join(', ')} LIMIT 1`);
  if (dup) {
    const what = keys.map((k, i) => `${k}=${dup[`k${i}`] === null ? 'NULL' : JSON.stringify(dup[`k${i}`])}`).join(', ');
    throw new DataError(`duplicate key in the rows to upsert: ${what} occurs ${String(dup.n)} times (upsert needs one row per key: dedupe first)`, { ...context, field: keys.join(', ') });
  }
}

/** Downloads the object and returns its ETag, or undefined when it does not exist. */
async function fetchObject(s3: S3Client, obj: ObjectRef, toFile: string, signal?: AbortSignal): Promise<string | undefined> {
  try {
    const res = await s3.send(new GetObjectCommand({ Bucket: obj.bucket, Key: obj.key }), { abortSignal: signal });
    await pipeline(res.Body as Readable, createWriteStream(toFile), { signal });
    return res.ETag ?? '';
  } catch (err) {
    if (s3ErrorCode(err) === 'NOT_FOUND' && (err as { name?: string }).name !== 'NoSuchBucket') return undefined;
    throw s3Error(err, { file: s3Uri(obj) });
  }
}

export async function upsertObject(s3: S3Client, engine: TableEngine, input: UpsertInput): Promise<UpsertResult> {
  const context = { ...input.context, file: s3Uri(input.obj) };
  const columns = await engine.columns(input.dataset);
  const names = new Set(columns.map((c) => c.name));
  for (const k of [...input.keys, ...(input.modified ? [input.modified] : [])]) {
    if (!names.has(k)) throw new ConfigError(`upsert: ${k} is not a column of the rows to write (they have ${[...names].join(', ')})`, { ...context, field: k });
  }
  await checkUniqueKeys(engine, input.dataset, input.keys, context);
  // The object's CSV is typed exactly by the reader (wide integers, every decimal digit), and the
  // merge widens to the larger type; text columns stay text (a zip code 01234 is not a number).
  const textColumns = Object.fromEntries(columns.filter((c) => c.type === 'VARCHAR').map((c) => [c.name, 'VARCHAR']));

  for (let conflicts = 0; ; conflicts++) {
    const tag = randomBytes(4).toString('hex');
    const existingFile = join(input.workdir, `existing-${tag}.${input.format}`);
    const etag = await fetchObject(s3, input.obj, existingFile, input.signal);
    const existing = `__existing_${tag}`;
    const merged = `__merged_${tag}`;
    if (etag !== undefined) {
      await readTableFile(engine, existing, existingFile, { format: input.format, csv: input.csv, columns: input.format === 'csv' ? textColumns : undefined }, context);
    } else {
      await engine.run(`CREATE TABLE ${ident(existing)} AS SELECT * FROM ${ident(input.dataset)} LIMIT 0`);
    }
    const stats = await mergeInto(engine, input, existing, merged);
    const out = join(input.workdir, `merged-${tag}.${input.format}`);
    await writeTableFile(engine, merged, out, { format: input.format, csv: input.csv });
    const digest = await fileDigest(out);
    try {
      const newTag = await uploadFile(s3, out, input.obj, input.contentType, {
        signal: input.signal, partSize: input.partSize, onBytes: input.onBytes,
        ...(etag !== undefined && etag !== '' ? { ifMatch: etag } : { ifNoneMatch: '*' as const }),
      });
      await engine.drop(existing);
      await engine.drop(merged);
      return { ...stats, ...digest, etag: newTag, conflicts };
    } catch (err) {
      await engine.drop(existing);
      await engine.drop(merged);
      if (!(err instanceof PreconditionFailedError)) throw err;
      if (conflicts + 1 >= MAX_CONFLICTS) throw new TransientError(`upsert: the object kept changing under ${MAX_CONFLICTS} merges (concurrent writers); retrying`, context, { cause: err });
      // Someone else wrote it since it was read: merge again over what they wrote.
      await sleep(50 + Math.floor(Math.random() * 200 * (conflicts + 1)));
    }
  }
}

/** Builds `merged` from `existing` and the incoming rows; returns the counts. */
async function mergeInto(engine: TableEngine, input: UpsertInput, existing: string, merged: string): Promise<Omit<UpsertResult, 'bytes' | 'sha256' | 'etag' | 'conflicts'>> {
  const keys = input.keys.map(ident);
  const on = input.keys.map((k) => `i.${ident(k)} IS NOT DISTINCT FROM e.${ident(k)}`).join(' AND ');
  const m = input.modified ? ident(input.modified) : undefined;
  // 0 = incoming, 1 = existing: newest modified first (NULL oldest), then the incoming row on a tie.
  const order = `${m ? `${m} DESC NULLS LAST, ` : ''}__ferry_src`;
  await engine.run(`CREATE OR REPLACE TABLE ${ident(merged)} AS
    SELECT * EXCLUDE (__ferry_src) FROM (
      SELECT *, 0 AS __ferry_src FROM ${ident(input.dataset)}
      UNION ALL BY NAME
      SELECT *, 1 AS __ferry_src FROM ${ident(existing)}
    ) QUALIFY row_number() OVER (PARTITION BY ${keys.join(', ')} ORDER BY ${order}) = 1
    ORDER BY ${keys.join(', ')}`);
  const newer = m ? `NOT (e.${m} IS NOT NULL AND (i.${m} IS NULL OR i.${m} < e.${m}))` : 'TRUE';
  const [row] = await engine.rows(`SELECT
      (SELECT count(*) FROM ${ident(merged)}) AS rows,
      (SELECT count(*) FROM ${ident(existing)}) AS before,
      (SELECT count(*) FROM ${ident(input.dataset)} i JOIN ${ident(existing)} e ON ${on}) AS matched,
      (SELECT count(*) FROM ${ident(input.dataset)} i JOIN ${ident(existing)} e ON ${on} WHERE ${newer}) AS won`);
  const rows = Number(row!.rows);
  const before = Number(row!.before);
  const matched = Number(row!.matched);
  const won = Number(row!.won);
  return { rows, inserted: rows - before, updated: won, unchanged: matched - won, kept: before - matched };
}

/** "upsert: 2 updated, 1 inserted, 3 kept, 1 older skipped" */
export function describeUpsert(r: Pick<UpsertResult, 'inserted' | 'updated' | 'kept' | 'unchanged' | 'conflicts'>): string {
  const parts = [`${r.updated} updated`, `${r.inserted} inserted`, `${r.kept} kept`];
  if (r.unchanged) parts.push(`${r.unchanged} older skipped`);
  if (r.conflicts) parts.push(`merged again after ${r.conflicts} concurrent write${r.conflicts === 1 ? '' : 's'}`);
  return parts.join(', ');
}
