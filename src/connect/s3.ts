/**
 * S3 clients (AWS or MinIO) and the few object operations Ferry needs: stream an object to a local
 * file, upload a local file (multipart when large), list keys.
 *
 *   const s3 = s3Client(resolveConnection(connections, 'lake', 's3'));
 *   await downloadObject(s3, { bucket: 'demo', key: 'raw/sales.csv' }, '/tmp/sales.csv');
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { S3Client, GetObjectCommand, CreateBucketCommand, HeadBucketCommand } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { AuthError, NotFoundError, TransientError, type ErrorContext, FerryError } from '../errors.js';
import type { S3Connection } from './connections.js';

// Node 20 is a supported runtime here and the SDK is pinned: its notice about future releases is noise.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const clients = new Map<string, S3Client>();

export function s3Client(conn: S3Connection): S3Client {
  const key = JSON.stringify(conn);
  let client = clients.get(key);
  if (!client) {
    client = new S3Client({
      endpoint: conn.endpoint || undefined,
      region: conn.region,
      forcePathStyle: conn.force_path_style,
      credentials: conn.access_key_id && conn.secret_access_key
        ? { accessKeyId: conn.access_key_id, secretAccessKey: conn.secret_access_key }
        : undefined,
    });
    clients.set(key, client);
  }
  return client;
}

export type ObjectRef = { bucket: string; key: string };

export const s3Uri = (o: ObjectRef): string => `s3://${o.bucket}/${o.key}`;

export function parseS3Uri(uri: string): ObjectRef {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!m) throw new Error(`not an s3:// URI: ${uri}`);
  return { bucket: m[1]!, key: m[2]! };
}

export async function downloadObject(s3: S3Client, obj: ObjectRef, toFile: string): Promise<number> {
  try {
    const res = await s3.send(new GetObjectCommand({ Bucket: obj.bucket, Key: obj.key }));
    await pipeline(res.Body as Readable, createWriteStream(toFile));
    return res.ContentLength ?? 0;
  } catch (err) {
    throw s3Error(err, { file: s3Uri(obj) });
  }
}

/** A single PUT (or a multipart upload for large files): the object appears whole or not at all. */
export async function uploadFile(s3: S3Client, fromFile: string, obj: ObjectRef, contentType?: string): Promise<void> {
  try {
    const upload = new Upload({
      client: s3,
      params: { Bucket: obj.bucket, Key: obj.key, Body: createReadStream(fromFile), ContentType: contentType },
      partSize: 16 * 1024 * 1024,
      queueSize: 2,
    });
    await upload.done();
  } catch (err) {
    throw s3Error(err, { file: s3Uri(obj) });
  }
}

export async function ensureBucket(s3: S3Client, bucket: string): Promise<void> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch {
    await s3.send(new CreateBucketCommand({ Bucket: bucket })).catch((err: { name?: string }) => {
      if (err.name !== 'BucketAlreadyOwnedByYou' && err.name !== 'BucketAlreadyExists') throw err;
    });
  }
}

export function s3Error(err: unknown, context: ErrorContext): FerryError {
  if (err instanceof FerryError) return err;
  const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode;
  const message = `S3: ${e.name ?? 'error'}${e.message && e.message !== e.name ? ` (${e.message})` : ''}`;
  if (e.name === 'NoSuchKey' || e.name === 'NoSuchBucket' || e.name === 'NotFound' || status === 404) return new NotFoundError(message, context, { cause: err });
  if (e.name === 'InvalidAccessKeyId' || e.name === 'SignatureDoesNotMatch' || e.name === 'AccessDenied' || status === 403) return new AuthError(message, context, { cause: err });
  return new TransientError(message, context, { cause: err });
}
