/**
 * S3 clients (AWS or MinIO) and the few object operations Ferry needs: stream an object to a local
 * file, upload a local file (multipart when large), list keys.
 *
 *   const s3 = s3Client(resolveConnection(connections, 'lake', 's3'));
 *   await downloadObject(s3, { bucket: 'demo', key: 'raw/sales.csv' }, '/tmp/sales.csv');
 *
 * Failure semantics: every S3 error leaves through `s3Error`, the one classifier by error code
 * (not found, auth, config: not retried; throttling, 5xx, network: retried; anything else: unknown).
 * A key with a `..` or `.` segment is refused before any request (S3 servers reject it, and
 * retrying cannot help). Downloads and uploads are whole-object operations: a retry repeats them.
 */
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { S3Client, GetObjectCommand, CreateBucketCommand, HeadBucketCommand, type S3ClientConfig } from '@aws-sdk/client-s3';
import { registerSecret } from '../pipeline/interpolate.js';
import { putFile, isPreconditionFailed, PreconditionFailedError, type PutOptions } from './s3-multipart.js';
import { AuthError, ConfigError, NotFoundError, TransientError, type ErrorContext, FerryError, type ErrorCode } from '../errors.js';
import type { S3Connection } from './connections.js';

// Node 20 is a supported runtime here and the SDK is pinned: its notice about future releases is noise.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const clients = new Map<string, S3Client>();

/**
 * The client settings of a connection. Precedence, field by field: connections.yaml, then the
 * standard AWS variables, then the SDK's defaults —
 * - endpoint: `endpoint`, AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, else AWS's own;
 * - region: `region`, AWS_REGION, AWS_DEFAULT_REGION, else us-east-1;
 * - path-style: `force_path_style`, else true when an endpoint is set (MinIO), false for AWS;
 * - credentials: `access_key_id` + `secret_access_key` (+ `session_token`) when both are set, else
 *   the SDK's default chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN, the
 *   `profile` or AWS_PROFILE in ~/.aws, SSO, web identity, ECS and EC2 instance roles).
 * Secrets taken from the environment are registered for masking like those of the file.
 */
export function s3ClientConfig(conn: S3Connection, env: NodeJS.ProcessEnv = process.env): S3ClientConfig {
  if (!!conn.access_key_id !== !!conn.secret_access_key) {
    throw new ConfigError(`S3 connection: set both access_key_id and secret_access_key, or neither (then the AWS default chain is used)`, { field: conn.access_key_id ? 'secret_access_key' : 'access_key_id' });
  }
  const endpoint = conn.endpoint || env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined;
  if (endpoint && !/^https?:\/\/[^/]/.test(endpoint)) throw new ConfigError(`S3 endpoint must be an http:// or https:// URL, got ${JSON.stringify(endpoint)}`, { field: 'endpoint' });
  for (const name of ['AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN']) if (env[name]) registerSecret(env[name]);
  return {
    endpoint,
    region: conn.region || env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1',
    forcePathStyle: conn.force_path_style ?? !!endpoint,
    ...(conn.access_key_id && conn.secret_access_key
      ? { credentials: { accessKeyId: conn.access_key_id, secretAccessKey: conn.secret_access_key, ...(conn.session_token ? { sessionToken: conn.session_token } : {}) } }
      : {}),
    ...(conn.profile ? { profile: conn.profile } : {}),
  };
}

export function s3Client(conn: S3Connection): S3Client {
  const config = s3ClientConfig(conn);
  // One client per resolved configuration (the environment included), reused across activities.
  const key = JSON.stringify([config, conn.access_key_id ? '' : [process.env.AWS_ACCESS_KEY_ID, process.env.AWS_PROFILE]]);
  let client = clients.get(key);
  if (!client) {
    client = new S3Client(config);
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

/** Keys S3 servers refuse whatever the retry: `..` and `.` path segments. */
export const badKeyReason = (key: string): string | undefined =>
  key.split('/').some((seg) => seg === '..' || seg === '.') ? 'a key may not contain ".." or "." segments' : undefined;

function checkKey(obj: ObjectRef): void {
  const reason = badKeyReason(obj.key);
  if (reason) throw new ConfigError(`invalid S3 key ${JSON.stringify(obj.key)}: ${reason}`, { file: s3Uri(obj), field: 'key' });
}

/**
 * `onBytes` reports the bytes moved so far (progress, so a long transfer is not taken for a stall);
 * `signal` aborts the transfer when the activity is cancelled.
 */
export type TransferOptions = { signal?: AbortSignal; onBytes?: (bytes: number) => void };

export async function downloadObject(s3: S3Client, obj: ObjectRef, toFile: string, options: TransferOptions = {}): Promise<number> {
  checkKey(obj);
  try {
    const res = await s3.send(new GetObjectCommand({ Bucket: obj.bucket, Key: obj.key }), { abortSignal: options.signal });
    let bytes = 0;
    const counted = async function* (body: AsyncIterable<Uint8Array>) {
      for await (const chunk of body) {
        bytes += chunk.length;
        options.onBytes?.(bytes);
        yield chunk;
      }
    };
    await pipeline(res.Body as Readable, counted, createWriteStream(toFile), { signal: options.signal });
    return res.ContentLength ?? bytes;
  } catch (err) {
    throw s3Error(err, { file: s3Uri(obj) });
  }
}

/**
 * A single PUT (or a multipart upload for large files, src/connect/s3-multipart.ts): the object
 * appears whole or not at all; a failed or cancelled multipart upload is aborted. `partSize`
 * (default 16 MiB), `ifMatch` / `ifNoneMatch` (a conditional write: a `PreconditionFailedError`
 * when someone else wrote the object meanwhile). Returns the new object's ETag.
 */
export async function uploadFile(s3: S3Client, fromFile: string, obj: ObjectRef, contentType?: string, options: TransferOptions & Omit<PutOptions, 'contentType' | 'signal' | 'onBytes'> = {}): Promise<string | undefined> {
  checkKey(obj);
  try {
    return await putFile(s3, fromFile, obj, { ...options, contentType });
  } catch (err) {
    if (isPreconditionFailed(err)) throw new PreconditionFailedError('S3: the object changed since it was read (a concurrent write)', { file: s3Uri(obj) }, { cause: err });
    // Our upload was aborted under us (a newer attempt cleaning up): retrying uploads afresh.
    if ((err as { name?: string }).name === 'NoSuchUpload') throw new TransientError('S3: the multipart upload was aborted by another attempt', { file: s3Uri(obj) }, { cause: err });
    throw s3Error(err, { file: s3Uri(obj) });
  }
}

export async function ensureBucket(s3: S3Client, bucket: string): Promise<void> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
    return;
  } catch (err) {
    // Only a missing bucket is created; any other failure (network, auth) is reported as it is.
    if (s3ErrorCode(err) !== 'NOT_FOUND') throw s3Error(err, { file: `s3://${bucket}` });
  }
  try {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (err) {
    const name = (err as { name?: string }).name;
    if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') throw s3Error(err, { file: `s3://${bucket}` });
  }
}

const NOT_FOUND = new Set(['NoSuchKey', 'NoSuchBucket', 'NotFound', 'NoSuchUpload']);
const AUTH = new Set(['AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'ExpiredToken', 'InvalidToken', 'AllAccessDisabled', 'CredentialsProviderError']);
const CONFIG = new Set(['InvalidBucketName', 'KeyTooLongError', 'InvalidArgument', 'InvalidObjectName', 'XMinioInvalidObjectName', 'XMinioInvalidResourceName', 'InvalidURI', 'InvalidRequest', 'MethodNotAllowed', 'PermanentRedirect', 'AuthorizationHeaderMalformed', 'InvalidStorageClass']);
const TRANSIENT = new Set(['SlowDown', 'ServiceUnavailable', 'InternalError', 'RequestTimeout', 'RequestTimeTooSkewed', 'Throttling', 'ThrottlingException', 'TooManyRequestsException', 'TimeoutError', 'RequestTimeoutException', 'XMinioServerNotInitialized', 'OperationAborted']);
const NETWORK = /^(ECONNRESET|ECONNREFUSED|ECONNABORTED|ETIMEDOUT|EPIPE|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|ENETDOWN|UND_ERR_\w+|ERR_STREAM_PREMATURE_CLOSE)$/;

/** The code of an S3 (or network) error: by the service's error code first, then by HTTP status. */
export function s3ErrorCode(err: unknown): ErrorCode {
  const e = err as { name?: string; Code?: string; code?: string; $metadata?: { httpStatusCode?: number }; cause?: { code?: string } };
  const name = e.Code ?? e.name ?? '';
  const status = e.$metadata?.httpStatusCode;
  if (NOT_FOUND.has(name)) return 'NOT_FOUND';
  if (AUTH.has(name)) return 'AUTH';
  if (CONFIG.has(name)) return 'CONFIG';
  if (TRANSIENT.has(name)) return 'TRANSIENT';
  if (NETWORK.test(e.code ?? '') || NETWORK.test(e.cause?.code ?? '')) return 'TRANSIENT';
  if (status === 404) return 'NOT_FOUND';
  if (status === 401 || status === 403) return 'AUTH';
  if (status === 429 || (status !== undefined && status >= 500)) return 'TRANSIENT';
  if (status === 400) return 'CONFIG';
  return 'UNKNOWN';
}

export function s3Error(err: unknown, context: ErrorContext): FerryError {
  if (err instanceof FerryError) return err;
  const e = err as { name?: string; message?: string; code?: string };
  const what = e.name && e.name !== 'Error' ? e.name : e.code ?? 'error';
  const message = `S3: ${what}${e.message && e.message !== what ? ` (${e.message})` : ''}`;
  const code = s3ErrorCode(err);
  if (code === 'NOT_FOUND') return new NotFoundError(message, context, { cause: err });
  if (code === 'AUTH') return new AuthError(message, context, { cause: err });
  if (code === 'CONFIG') return new ConfigError(message, context, { cause: err });
  if (code === 'TRANSIENT') return new TransientError(message, context, { cause: err });
  return new FerryError('UNKNOWN', message, context, { cause: err });
}
