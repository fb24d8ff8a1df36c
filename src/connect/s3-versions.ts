/**
 * Kedro-style versions of an S3 dataset: `<key>/<version>/<basename>`, where the version is the
 * logical run's time in Kedro's format (`2024-05-01T00.00.00.000Z`), and a manifest beside them,
 * `<key>/_versions.json`, that lists every version with its rows, bytes, sha256, run id and when it
 * was written, and names the latest (the greatest version, as Kedro's `load_version: None` picks).
 *
 *   versionOf('2024-05-01T00:00:00Z')                        // '2024-05-01T00.00.00.000Z'
 *   versionedKey('curated/sales.csv', '2024-05-01T00.00.00.000Z')  // 'curated/sales.csv/2024-05-01T00.00.00.000Z/sales.csv'
 *   await recordVersion(s3, { bucket, key: 'curated/sales.csv' }, { version, run_id, rows, … });
 *
 * Failure semantics: the manifest is read and written back conditionally (If-Match its ETag, or
 * If-None-Match when there is none), so two runs recording versions at once both land; a re-run of
 * the same logical run replaces its own entry (same version), so recording is idempotent.
 */
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { DataError, TransientError } from '../errors.js';
import { s3Error, s3ErrorCode, s3Uri, uploadFile, type ObjectRef } from './s3.js';
import { PreconditionFailedError } from './s3-multipart.js';

export const MANIFEST = '_versions.json';

export type VersionEntry = {
  version: string;
  /** The object (or, for partitioned writes, the folder) of this version. */
  key: string;
  run_id: string;
  rows: number;
  bytes: number;
  /** Of the object; for partitioned writes, of the sorted list of `<key> <sha256>` lines of its files. */
  sha256: string;
  written_at: string;
  files?: number;
};

export type Manifest = { latest: string; versions: VersionEntry[] };

/** Kedro's version string of an instant: ISO 8601 UTC with milliseconds, `:` replaced by `.`. */
export function versionOf(time: string): string {
  const t = Date.parse(time);
  if (Number.isNaN(t)) throw new Error(`not an ISO instant: ${time}`);
  return new Date(t).toISOString().replace(/:/g, '.');
}

const basename = (key: string): string => key.replace(/\/+$/, '').split('/').pop() ?? key;

/** Where a version's object lives: `<key>/<version>/<basename of key>` (Kedro's layout). */
export const versionedKey = (key: string, version: string): string => `${key.replace(/\/+$/, '')}/${version}/${basename(key)}`;

/** The folder of a version (partitioned writes put their files under it). */
export const versionFolder = (key: string, version: string): string => `${key.replace(/\/+$/, '')}/${version}`;

export const manifestKey = (key: string): string => `${key.replace(/\/+$/, '')}/${MANIFEST}`;

/** The manifest and its ETag, or none yet. */
export async function readManifest(s3: S3Client, obj: ObjectRef): Promise<{ manifest: Manifest; etag?: string } | undefined> {
  const ref = { bucket: obj.bucket, key: manifestKey(obj.key) };
  try {
    const res = await s3.send(new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key }));
    const text = await res.Body!.transformToString();
    try {
      return { manifest: JSON.parse(text) as Manifest, etag: res.ETag };
    } catch (err) {
      throw new DataError(`the versions manifest is not JSON: ${(err as Error).message}`, { file: s3Uri(ref) }, { cause: err });
    }
  } catch (err) {
    if (s3ErrorCode(err) === 'NOT_FOUND') return undefined;
    throw s3Error(err, { file: s3Uri(ref) });
  }
}

/** Adds (or replaces) a version in the manifest, conditionally; retried on a concurrent write. */
export async function recordVersion(s3: S3Client, obj: ObjectRef, entry: VersionEntry, workdir: string, signal?: AbortSignal): Promise<Manifest> {
  const ref = { bucket: obj.bucket, key: manifestKey(obj.key) };
  for (let attempt = 1; ; attempt++) {
    const current = await readManifest(s3, obj);
    const versions = (current?.manifest.versions ?? []).filter((v) => v.version !== entry.version);
    versions.push(entry);
    versions.sort((a, b) => (a.version < b.version ? -1 : a.version > b.version ? 1 : 0));
    const manifest: Manifest = { latest: versions.at(-1)!.version, versions };
    const file = join(workdir, `manifest-${randomBytes(4).toString('hex')}.json`);
    await writeFile(file, `${JSON.stringify(manifest, null, 2)}\n`);
    try {
      await uploadFile(s3, file, ref, 'application/json', { signal, ...(current?.etag ? { ifMatch: current.etag } : { ifNoneMatch: '*' }) });
      return manifest;
    } catch (err) {
      if (!(err instanceof PreconditionFailedError)) throw err;
      if (attempt >= 10) throw new TransientError('S3: the versions manifest kept changing while it was written', { file: s3Uri(ref) }, { cause: err });
    }
  }
}
