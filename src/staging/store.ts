/**
 * The staging store holds every stage's output as Parquet, so workflow history carries only
 * `DatasetRef`s (the claim check). Keys are deterministic per run — `<pipeline>/<workflowId>/<stage>/<dataset>.parquet` —
 * so a retried activity overwrites its own earlier attempt and never a neighbour's.
 *
 *   const store = stagingFromEnv();                // FERRY_STAGING: a directory, or s3://bucket/prefix
 *   const file = store.writePath(key, workdir);   // write the Parquet here…
 *   await store.commit(key, file);                // …then publish it
 */
import { mkdir, copyFile, readdir, rm, stat, readFile, writeFile, rename, rmdir } from 'node:fs/promises';
import { createHash, randomBytes } from 'node:crypto';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { ConfigError } from '../errors.js';
import { s3Client, parseS3Uri, uploadFile, downloadObject, ensureBucket, s3Error, s3ErrorCode } from '../connect/s3.js';
import { DeleteObjectCommand, DeleteObjectsCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Column } from '../table/engine.js';
import { trustDirectory } from '../table/access.js';
import { readVerified } from './read.js';

/**
 * A reference to a staged dataset: everything the workflow needs, nothing of the rows. One file
 * (`uri`, with its `rows`, `bytes`, `sha256`), or several `parts` (then `uri` is their common
 * prefix and `rows`/`bytes` the totals): partitioned reads and writes fit without a new contract.
 */
export type DatasetRef = {
  dataset: string;
  stage: string;
  uri: string;
  rows: number;
  bytes: number;
  columns: Column[];
  sha256: string;
  parts?: DatasetPart[];
};

/** One file of a multi-part dataset. */
export type DatasetPart = { uri: string; rows: number; bytes: number; sha256: string };

/** The files of a dataset: its parts, or the one file the ref names. */
export const partsOf = (ref: DatasetRef): DatasetPart[] =>
  ref.parts?.length ? ref.parts : [{ uri: ref.uri, rows: ref.rows, bytes: ref.bytes, sha256: ref.sha256 }];

export interface StagingStore {
  /** As configured (relative paths stay relative: no machine paths leak into history). */
  readonly root: string;
  uri(key: string): string;
  /** The local path to write `key` to before `commit`. */
  writePath(key: string, workdir: string): string;
  commit(key: string, localFile: string): Promise<void>;
  /** A local path holding the data of `uri` (downloaded into `workdir` when remote). */
  readPath(uri: string, workdir: string): Promise<string>;
  /** Local paths of a staged dataset's files (one per part), each checked against its sha256 (see read.ts). */
  readDataset(ref: DatasetRef, workdir: string): Promise<string[]>;
  /** The keys staged under a key prefix (e.g. a checkpoint folder), sorted. */
  list(prefix: string): Promise<string[]>;
  /** Every staged run (`<pipeline>/<workflowId>`), with its size and when it was last written. */
  runs(): Promise<StagedRun[]>;
  /** Deletes everything staged for one run. */
  removeRun(run: string): Promise<void>;
  /**
   * A small text object (a watermark's state) and its version, or undefined when there is none.
   * Kept under `_state/`, which `runs()` and so `ferry prune` never touch.
   */
  readText(key: string): Promise<{ text: string; version: string } | undefined>;
  /**
   * Replaces a small text object atomically (readers see the old text or the new, never half).
   * `expected`: the version read before (compare-and-swap), `null`: only if there is none yet,
   * undefined: unconditionally. Returns false when the object changed meanwhile (nothing written).
   */
  writeText(key: string, text: string, expected?: string | null): Promise<boolean>;
  /** Deletes a small text object (no error when there is none). */
  removeText(key: string): Promise<void>;
}

/** The folder of small state objects (watermarks): not a pipeline (names start with a letter), never pruned. */
export const STATE_FOLDER = '_state';
/** The catalog's folder (src/catalog/store.ts): not a pipeline either; `ferry prune` never treats it as a run. */
export const CATALOG_FOLDER = '_catalog';

/**
 * Top-level folders that are Ferry's own records (`_state`, `_history`, `_catalog`), not a
 * pipeline's runs: a pipeline's name starts with a letter. `runs()`, and so `ferry prune`, skip them.
 */
export const isRecordFolder = (name: string): boolean => name.startsWith('_');

export type StagedRun = { run: string; bytes: number; lastModified: Date };

export const stagingKey = (pipeline: string, workflowId: string, stage: string, dataset: string): string =>
  [pipeline, safeSegment(workflowId), stage, `${dataset}.parquet`].join('/');

/** The folder of one activity's durable scratch files (e.g. the pages an http source has fetched so far). */
export const checkpointKey = (pipeline: string, workflowId: string, stage: string, name: string): string =>
  [pipeline, safeSegment(workflowId), stage, `${name}.parts`].join('/');

/** A run id as one folder name: `/` and the like become `_`, and so does an id of dots only (`..`). */
export const safeSegment = (s: string): string => {
  const safe = s.replace(/[^A-Za-z0-9._=-]/g, '_');
  return /^\.*$/.test(safe) ? safe.replace(/\./g, '_') || '_' : safe;
};

export class LocalStagingStore implements StagingStore {
  constructor(readonly root: string) {
    // Table engines read and write staged Parquet here in place (no copy into the work directory);
    // an activity's engine only in its own run's folder.
    trustDirectory(root, ({ pipeline, workflowId }) => {
      const segments = [pipeline, safeSegment(workflowId)];
      return segments.every((s) => s === safeSegment(s)) ? resolve(this.uri(segments.join('/'))) : undefined;
    });
  }

  uri(key: string): string {
    return `${this.root.replace(/\/$/, '')}/${key}`;
  }

  writePath(key: string): string {
    return resolve(this.uri(key));
  }

  async commit(key: string, localFile: string): Promise<void> {
    const target = resolve(this.uri(key));
    if (resolve(localFile) !== target) {
      await mkdir(dirname(target), { recursive: true });
      await copyFile(localFile, target);
    }
  }

  async readPath(uri: string): Promise<string> {
    return resolve(uri);
  }

  readDataset(ref: DatasetRef, workdir: string): Promise<string[]> {
    return readVerified(this, ref, workdir);
  }

  async list(prefix: string): Promise<string[]> {
    const dir = resolve(this.uri(prefix));
    const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
    return entries.filter((e) => e.isFile()).map((e) => relative(resolve(this.root), join(e.parentPath, e.name)).split(sep).join('/')).sort();
  }

  async runs(): Promise<StagedRun[]> {
    const root = resolve(this.root);
    const found: StagedRun[] = [];
    for (const pipeline of (await dirs(root)).filter((d) => !isRecordFolder(d))) {
      for (const run of await dirs(join(root, pipeline))) {
        const files = await readdir(join(root, pipeline, run), { recursive: true, withFileTypes: true });
        let bytes = 0;
        let last = 0;
        for (const f of files.filter((e) => e.isFile())) {
          const s = await stat(join(f.parentPath, f.name));
          bytes += s.size;
          last = Math.max(last, s.mtimeMs);
        }
        found.push({ run: `${pipeline}/${run}`, bytes, lastModified: new Date(last) });
      }
    }
    return found;
  }

  async removeRun(run: string): Promise<void> {
    await rm(join(resolve(this.root), run), { recursive: true, force: true });
  }

  async readText(key: string): Promise<{ text: string; version: string } | undefined> {
    const text = await readFile(resolve(this.uri(key)), 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    return text === undefined ? undefined : { text, version: digest(text) };
  }

  async writeText(key: string, text: string, expected?: string | null): Promise<boolean> {
    const target = resolve(this.uri(key));
    await mkdir(dirname(target), { recursive: true });
    // Compare-and-swap among the processes of this machine: a lock directory (mkdir is atomic)
    // around read-compare-rename; a lock older than LOCK_STALE_MS is a killed writer's, and taken over.
    const lock = `${target}.lock`;
    await acquire(lock);
    try {
      if (expected !== undefined) {
        const now = await this.readText(key);
        if ((now?.version ?? null) !== expected) return false;
      }
      const temp = `${target}.${randomBytes(6).toString('hex')}.tmp`;
      await writeFile(temp, text);
      await rename(temp, target);
      return true;
    } finally {
      await rmdir(lock).catch(() => undefined);
    }
  }

  async removeText(key: string): Promise<void> {
    await rm(resolve(this.uri(key)), { force: true });
  }
}

const digest = (text: string): string => createHash('sha256').update(text).digest('hex');

const LOCK_STALE_MS = 30_000;

async function acquire(lock: string): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      await mkdir(lock);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const age = await stat(lock).then((s) => Date.now() - s.mtimeMs, () => 0);
      if (age > LOCK_STALE_MS) await rmdir(lock).catch(() => undefined);
      else await new Promise((r) => setTimeout(r, Math.min(10 * 2 ** i, 200)));
    }
  }
}

const dirs = async (path: string): Promise<string[]> =>
  (await readdir(path, { withFileTypes: true }).catch(() => [])).filter((e) => e.isDirectory()).map((e) => e.name);

export class S3StagingStore implements StagingStore {
  private readonly bucket: string;
  private readonly prefix: string;
  private bucketReady?: Promise<void>;

  constructor(readonly root: string, private readonly s3: S3Client) {
    const { bucket, key } = parseS3Uri(root);
    this.bucket = bucket;
    this.prefix = key.replace(/\/$/, '');
  }

  uri(key: string): string {
    return `s3://${this.bucket}/${this.prefix ? `${this.prefix}/` : ''}${key}`;
  }

  writePath(key: string, workdir: string): string {
    return join(workdir, 'staging-out', key);
  }

  async commit(key: string, localFile: string): Promise<void> {
    // Only a bucket check that succeeded is remembered: one network blip must not fail every later commit.
    this.bucketReady ??= ensureBucket(this.s3, this.bucket).catch((err: unknown) => {
      this.bucketReady = undefined;
      throw err;
    });
    await this.bucketReady;
    await uploadFile(this.s3, localFile, parseS3Uri(this.uri(key)), key.endsWith('.parquet') ? 'application/vnd.apache.parquet' : undefined);
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    const start = this.prefix ? this.prefix.length + 1 : 0;
    for await (const o of this.objects(prefix.replace(/\/?$/, '/'))) keys.push(o.key.slice(start));
    return keys.sort();
  }

  async runs(): Promise<StagedRun[]> {
    const byRun = new Map<string, StagedRun>();
    for await (const o of this.objects()) {
      const run = o.key.slice(this.prefix ? this.prefix.length + 1 : 0).split('/').slice(0, 2).join('/');
      if (isRecordFolder(run)) continue;
      const r = byRun.get(run) ?? { run, bytes: 0, lastModified: new Date(0) };
      r.bytes += o.size;
      if (o.lastModified > r.lastModified) r.lastModified = o.lastModified;
      byRun.set(run, r);
    }
    return [...byRun.values()];
  }

  async removeRun(run: string): Promise<void> {
    const keys: string[] = [];
    for await (const o of this.objects(`${run}/`)) keys.push(o.key);
    for (let i = 0; i < keys.length; i += 1000) {
      await this.s3.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: keys.slice(i, i + 1000).map((Key) => ({ Key })) } }));
    }
  }

  async readText(key: string): Promise<{ text: string; version: string } | undefined> {
    const { bucket, key: objectKey } = parseS3Uri(this.uri(key));
    try {
      const got = await this.s3.send(new GetObjectCommand({ Bucket: bucket, Key: objectKey }));
      return { text: await got.Body!.transformToString('utf8'), version: got.ETag ?? '' };
    } catch (err) {
      if (s3ErrorCode(err) === 'NOT_FOUND') return undefined; // no object (or no bucket yet): no state
      throw s3Error(err, { file: this.uri(key) });
    }
  }

  async writeText(key: string, text: string, expected?: string | null): Promise<boolean> {
    this.bucketReady ??= ensureBucket(this.s3, this.bucket).catch((err: unknown) => {
      this.bucketReady = undefined;
      throw err;
    });
    await this.bucketReady;
    const { bucket, key: objectKey } = parseS3Uri(this.uri(key));
    // A PUT is atomic; S3 (and MinIO) check If-Match / If-None-Match on the server: a true compare-and-swap.
    const condition = expected === undefined ? {} : expected === null ? { IfNoneMatch: '*' } : { IfMatch: expected };
    try {
      await this.s3.send(new PutObjectCommand({ Bucket: bucket, Key: objectKey, Body: text, ContentType: 'application/json', ...condition }));
      return true;
    } catch (err) {
      const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
      const status = e.$metadata?.httpStatusCode;
      // 412: changed meanwhile; 409: a concurrent conditional write; 404 on If-Match: removed meanwhile.
      if (expected !== undefined && (status === 412 || status === 409 || e.name === 'PreconditionFailed' || (expected !== null && e.name === 'NoSuchKey'))) return false;
      throw s3Error(err, { file: this.uri(key) });
    }
  }

  async removeText(key: string): Promise<void> {
    const { bucket, key: objectKey } = parseS3Uri(this.uri(key));
    await this.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: objectKey })).catch((err: unknown) => {
      if (s3ErrorCode(err) !== 'NOT_FOUND') throw s3Error(err, { file: this.uri(key) });
    });
  }

  private async *objects(under = ''): AsyncGenerator<{ key: string; size: number; lastModified: Date }> {
    let token: string | undefined;
    do {
      const page = await this.s3.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: `${this.prefix ? `${this.prefix}/` : ''}${under}`, ContinuationToken: token }));
      for (const o of page.Contents ?? []) yield { key: o.Key!, size: o.Size ?? 0, lastModified: o.LastModified ?? new Date(0) };
      token = page.NextContinuationToken;
    } while (token);
  }

  readDataset(ref: DatasetRef, workdir: string): Promise<string[]> {
    return readVerified(this, ref, workdir);
  }

  async readPath(uri: string, workdir: string): Promise<string> {
    const obj = parseS3Uri(uri);
    const local = join(workdir, 'staging-in', obj.key);
    await mkdir(dirname(local), { recursive: true });
    await downloadObject(this.s3, obj, local);
    return local;
  }
}

/** FERRY_STAGING (default `.ferry/staging`); an s3:// root uses FERRY_STAGING_S3_* or the AWS_* variables. */
export function stagingFromEnv(env: NodeJS.ProcessEnv = process.env): StagingStore {
  const root = env.FERRY_STAGING || '.ferry/staging';
  if (!root.startsWith('s3://')) return new LocalStagingStore(root);
  const accessKeyId = env.FERRY_STAGING_S3_ACCESS_KEY_ID ?? env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.FERRY_STAGING_S3_SECRET_ACCESS_KEY ?? env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) {
    throw new ConfigError(`FERRY_STAGING is ${root} but no S3 credentials are set (FERRY_STAGING_S3_ACCESS_KEY_ID/SECRET_ACCESS_KEY or AWS_ACCESS_KEY_ID/SECRET_ACCESS_KEY)`);
  }
  return new S3StagingStore(root, s3Client({
    type: 's3',
    endpoint: env.FERRY_STAGING_S3_ENDPOINT ?? env.AWS_ENDPOINT_URL,
    region: env.AWS_REGION ?? 'us-east-1',
    access_key_id: accessKeyId,
    secret_access_key: secretAccessKey,
    force_path_style: true,
  }));
}
