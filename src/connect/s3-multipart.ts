/**
 * Uploading a local file to S3 whole or not at all: one PUT below the part size, a multipart upload
 * above it (parts read from the file by offset, a few in flight), optionally conditional on the
 * object's ETag (`ifMatch`) or on its absence (`ifNoneMatch: '*'`) — the compare-and-swap that
 * S3 (since 2024) and MinIO apply to PutObject and CompleteMultipartUpload alike.
 *
 *   await putFile(s3, '/tmp/sales.csv', { bucket: 'lake', key: 'curated/sales.csv' }, { partSize: 16 * MiB });
 *   await abortUploadsOf(s3, 'lake', ['curated/sales.csv']);   // a killed attempt's leftovers
 *
 * Failure semantics: the object appears only when the PUT or CompleteMultipartUpload succeeds, so a
 * retry simply uploads again. A multipart upload that fails or is cancelled (`signal`) is aborted
 * before the error leaves, so its parts do not linger; one whose worker was killed cannot abort
 * itself: the next attempt calls `abortUploadsOf` for the keys it writes (ListMultipartUploads,
 * exact key match: other keys' uploads are never touched). A failed condition is a
 * `PreconditionFailedError` (retryable: the caller re-reads and tries again).
 */
import { open, stat } from 'node:fs/promises';
import {
  type S3Client, PutObjectCommand, CreateMultipartUploadCommand, UploadPartCommand, CompleteMultipartUploadCommand,
  AbortMultipartUploadCommand, ListMultipartUploadsCommand, type CompletedPart,
} from '@aws-sdk/client-s3';
import { FerryError, type ErrorContext } from '../errors.js';

const MiB = 1024 * 1024;
/** S3's limits: parts of at least 5 MiB (but the last), at most 10,000 of them. */
export const MIN_PART_SIZE = 5 * MiB;
export const DEFAULT_PART_SIZE = 16 * MiB;
const MAX_PARTS = 10_000;

export type PutOptions = {
  contentType?: string;
  /** Bytes per part; files up to this size go in one PUT. Grown when the file would need more than 10,000 parts. */
  partSize?: number;
  /** Parts in flight at once (memory: partSize × concurrency). */
  concurrency?: number;
  /** Write only if the object's ETag is still this one. */
  ifMatch?: string;
  /** `'*'`: write only if the object does not exist. */
  ifNoneMatch?: '*';
  signal?: AbortSignal;
  onBytes?: (bytes: number) => void;
};

/** Someone else wrote the object since it was read: re-read and try again (retryable). */
export class PreconditionFailedError extends FerryError {
  constructor(message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super('TRANSIENT', message, context, options);
  }
}

export const isPreconditionFailed = (err: unknown): boolean => {
  const e = err as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'PreconditionFailed' || e.Code === 'PreconditionFailed' || e.name === 'ConditionalRequestConflict' ||
    e.$metadata?.httpStatusCode === 412;
};

/** The effective part size for a file: at least 5 MiB, and large enough for at most 10,000 parts. */
export function partSizeFor(bytes: number, wanted = DEFAULT_PART_SIZE): number {
  const size = Math.max(MIN_PART_SIZE, wanted);
  return Math.max(size, Math.ceil(bytes / MAX_PARTS));
}

/** Uploads `file` to `bucket/key`; returns the new object's ETag. Errors are the SDK's, raw (the caller classifies). */
export async function putFile(s3: S3Client, file: string, obj: { bucket: string; key: string }, options: PutOptions = {}): Promise<string | undefined> {
  const bytes = (await stat(file)).size;
  const partSize = partSizeFor(bytes, options.partSize);
  const cond = { IfMatch: options.ifMatch, IfNoneMatch: options.ifNoneMatch };
  const abortSignal = options.signal;
  options.signal?.throwIfAborted();
  if (bytes <= partSize) {
    const fh = await open(file);
    try {
      const body = await fh.readFile();
      const res = await s3.send(new PutObjectCommand({ Bucket: obj.bucket, Key: obj.key, Body: body, ContentType: options.contentType, ...cond }), { abortSignal });
      options.onBytes?.(bytes);
      return res.ETag;
    } finally {
      await fh.close();
    }
  }
  const created = await s3.send(new CreateMultipartUploadCommand({ Bucket: obj.bucket, Key: obj.key, ContentType: options.contentType }), { abortSignal });
  const uploadId = created.UploadId!;
  const abort = () => s3.send(new AbortMultipartUploadCommand({ Bucket: obj.bucket, Key: obj.key, UploadId: uploadId })).catch(() => undefined);
  const fh = await open(file);
  try {
    const count = Math.ceil(bytes / partSize);
    const parts: CompletedPart[] = new Array<CompletedPart>(count);
    let next = 0;
    let moved = 0;
    const worker = async () => {
      while (next < count) {
        const i = next++;
        abortSignal?.throwIfAborted();
        const length = Math.min(partSize, bytes - i * partSize);
        const buf = Buffer.alloc(length);
        await fh.read(buf, 0, length, i * partSize);
        const res = await s3.send(new UploadPartCommand({ Bucket: obj.bucket, Key: obj.key, UploadId: uploadId, PartNumber: i + 1, Body: buf }), { abortSignal });
        parts[i] = { PartNumber: i + 1, ETag: res.ETag };
        moved += length;
        options.onBytes?.(moved);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 4, count)) }, worker));
    abortSignal?.throwIfAborted();
    const done = await s3.send(new CompleteMultipartUploadCommand({ Bucket: obj.bucket, Key: obj.key, UploadId: uploadId, MultipartUpload: { Parts: parts }, ...cond }), { abortSignal });
    return done.ETag;
  } catch (err) {
    // Cancelled, failed or refused (a failed condition): the parts must not stay behind.
    await abort();
    throw err;
  } finally {
    await fh.close();
  }
}

/**
 * Aborts the multipart uploads in progress for exactly these keys (the leftovers of a killed
 * attempt); returns how many. One ListMultipartUploads per distinct `prefix` (default: each key).
 */
export async function abortUploadsOf(s3: S3Client, bucket: string, keys: Iterable<string>, prefix?: string): Promise<number> {
  const wanted = new Set(keys);
  if (wanted.size === 0) return 0;
  const prefixes = prefix !== undefined ? [prefix] : [...wanted];
  let aborted = 0;
  for (const p of prefixes) {
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    for (;;) {
      const page = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: p, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker }));
      for (const u of page.Uploads ?? []) {
        if (!u.Key || !u.UploadId || !wanted.has(u.Key)) continue;
        await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: u.Key, UploadId: u.UploadId })).catch((err: unknown) => {
          if ((err as { name?: string }).name !== 'NoSuchUpload') throw err;
        });
        aborted++;
      }
      if (!page.IsTruncated) break;
      keyMarker = page.NextKeyMarker;
      uploadIdMarker = page.NextUploadIdMarker;
    }
  }
  return aborted;
}
