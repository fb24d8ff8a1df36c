/**
 * The staging store holds every stage's output as Parquet, so workflow history carries only
 * `DatasetRef`s (the claim check). Keys are deterministic per run — `<pipeline>/<workflowId>/<stage>/<dataset>.parquet` —
 * so a retried activity overwrites its own earlier attempt and never a neighbour's.
 *
 *   const store = stagingFromEnv();                // FERRY_STAGING: a directory, or s3://bucket/prefix
 *   const file = store.writePath(key, workdir);   // write the Parquet here…
 *   await store.commit(key, file);                // …then publish it
 */
import { mkdir, copyFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { ConfigError } from '../errors.js';
import { s3Client, parseS3Uri, uploadFile, downloadObject, ensureBucket } from '../connect/s3.js';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Column } from '../table/engine.js';

/** A reference to a staged dataset: everything the workflow needs, nothing of the rows. */
export type DatasetRef = {
  dataset: string;
  stage: string;
  uri: string;
  rows: number;
  bytes: number;
  columns: Column[];
  sha256: string;
};

export interface StagingStore {
  /** As configured (relative paths stay relative: no machine paths leak into history). */
  readonly root: string;
  uri(key: string): string;
  /** The local path to write `key` to before `commit`. */
  writePath(key: string, workdir: string): string;
  commit(key: string, localFile: string): Promise<void>;
  /** A local path holding the data of `uri` (downloaded into `workdir` when remote). */
  readPath(uri: string, workdir: string): Promise<string>;
}

export const stagingKey = (pipeline: string, workflowId: string, stage: string, dataset: string): string =>
  [pipeline, safeSegment(workflowId), stage, `${dataset}.parquet`].join('/');

/** Durable scratch files of one activity (e.g. the pages an http source has fetched so far). */
export const checkpointKey = (pipeline: string, workflowId: string, stage: string, dataset: string, name: string): string =>
  [pipeline, safeSegment(workflowId), stage, `${dataset}.parts`, name].join('/');

const safeSegment = (s: string): string => s.replace(/[^A-Za-z0-9._=-]/g, '_');

export class LocalStagingStore implements StagingStore {
  constructor(readonly root: string) {}

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
}

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
    this.bucketReady ??= ensureBucket(this.s3, this.bucket);
    await this.bucketReady;
    await uploadFile(this.s3, localFile, parseS3Uri(this.uri(key)), key.endsWith('.parquet') ? 'application/vnd.apache.parquet' : undefined);
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
