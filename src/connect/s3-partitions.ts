/**
 * Hive-style partitioned writes to S3: `partition_by: [country, year]` →
 * `<folder>/country=DE/year=2024/part-0.csv`, one object per partition, the partition columns in
 * the folder names and not in the files (as Hive, Spark and DuckDB's PARTITION_BY write them; DuckDB
 * reads them back with `hive_partitioning = true`). Values are escaped as Hive escapes them
 * (`/` → `%2F`, `=` → `%3D`, `:` → `%3A`, …); NULL and the empty string are
 * `__HIVE_DEFAULT_PARTITION__`.
 *
 *   const parts = await partitionsOf(engine, 'sales', ['country'], context);  // [{ path: 'country=DE', where: … }, …]
 *   await engine.run(`CREATE VIEW p AS ${partitionSelect('sales', ['country'], parts[0])}`);
 *
 * Failure semantics: each partition object is a whole-object PUT. After all of them are written, the
 * partition files under the folder that this write did not produce (a re-run's leftovers: a
 * partition that has no rows any more) are deleted (`staleKeys`), so the folder holds exactly this
 * write's partitions. Readers listing the folder during the write may see old and new partitions
 * side by side: write each logical run to its own folder (`{run_date}` in the key, or
 * `versioned: true`) when readers need a consistent set.
 */
import { ListObjectsV2Command, DeleteObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ConfigError, type ErrorContext } from '../errors.js';
import { ident, lit, type TableEngine } from '../table/engine.js';
import { s3Error } from './s3.js';

/** The Content-Type of each format's objects. */
export const CONTENT_TYPES = { csv: 'text/csv', json: 'application/json', ndjson: 'application/x-ndjson', parquet: 'application/vnd.apache.parquet' } as const;

export const HIVE_NULL = '__HIVE_DEFAULT_PARTITION__';

/** The characters Hive escapes in partition values (FileUtils.escapePathName), as %XX. */
// eslint-disable-next-line no-control-regex -- control characters are exactly what Hive escapes
const HIVE_ESCAPED = /[\u0000-\u001F"#%'*/:=?\\\u007F{[\]^]/g;

export function hiveEscape(value: string | null): string {
  if (value === null || value === '') return HIVE_NULL;
  return value.replace(HIVE_ESCAPED, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

export function hiveUnescape(text: string): string | null {
  if (text === HIVE_NULL) return null;
  return text.replace(/%([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
}

export type Partition = { values: (string | null)[]; path: string };

/** The text of a partition value: NULL and '' are one partition (Hive's default partition). */
const valueSql = (col: string) => `NULLIF(CAST(${ident(col)} AS VARCHAR), '')`;

/** The partitions of `dataset` by `cols`, sorted by their path. */
export async function partitionsOf(engine: TableEngine, dataset: string, cols: string[], context: ErrorContext): Promise<Partition[]> {
  const columns = (await engine.columns(dataset)).map((c) => c.name);
  for (const c of cols) {
    if (!columns.includes(c)) throw new ConfigError(`partition_by: ${c} is not a column of ${dataset} (it has ${columns.join(', ')})`, { ...context, field: 'partition_by' });
  }
  if (columns.every((c) => cols.includes(c))) throw new ConfigError('partition_by names every column: the files would have none left', { ...context, field: 'partition_by' });
  const rows = await engine.rows(`SELECT DISTINCT ${cols.map((c, i) => `${valueSql(c)} AS v${i}`).join(', ')} FROM ${ident(dataset)}`);
  const parts = rows.map((r) => {
    const values = cols.map((_c, i) => (r[`v${i}`] === null ? null : String(r[`v${i}`])));
    return { values, path: cols.map((c, i) => `${hiveEscape(c)}=${hiveEscape(values[i]!)}`).join('/') };
  });
  return parts.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** The rows of one partition, without the partition columns. */
export function partitionSelect(dataset: string, cols: string[], part: Partition): string {
  const where = cols.map((c, i) => `${valueSql(c)} IS NOT DISTINCT FROM ${lit(part.values[i])}`).join(' AND ');
  return `SELECT * EXCLUDE (${cols.map(ident).join(', ')}) FROM ${ident(dataset)} WHERE ${where}`;
}

/** Every key under `folder/` (paged). */
export async function listKeys(s3: S3Client, bucket: string, folder: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  try {
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${folder}/`, ContinuationToken: token }));
      for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  } catch (err) {
    throw s3Error(err, { file: `s3://${bucket}/${folder}/` });
  }
  return keys;
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Partition files under `folder` (by these columns, in this order, with this extension) that are
 * not in `written`: what an earlier write left that this one did not replace.
 */
export async function staleKeys(s3: S3Client, bucket: string, folder: string, cols: string[], ext: string, written: Set<string>): Promise<string[]> {
  const shape = new RegExp(`^${escapeRe(folder)}/${cols.map((c) => `${escapeRe(hiveEscape(c))}=[^/]+/`).join('')}part-\\d+\\.${escapeRe(ext)}$`);
  return (await listKeys(s3, bucket, folder)).filter((k) => shape.test(k) && !written.has(k));
}

export async function deleteKeys(s3: S3Client, bucket: string, keys: string[]): Promise<void> {
  for (const key of keys) {
    try {
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    } catch (err) {
      throw s3Error(err, { file: `s3://${bucket}/${key}` });
    }
  }
}
