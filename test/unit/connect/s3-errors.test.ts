/** The one S3 error classifier, table-driven; keys with `..` are refused before any request. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { S3Client } from '@aws-sdk/client-s3';
import { s3Error, s3ErrorCode, downloadObject, uploadFile } from '../../../src/connect/s3.js';
import { FerryError, type ErrorCode } from '../../../src/errors.js';
import { s3Source } from '../../../activities/sources/s3.js';
import { s3Sink } from '../../../activities/sinks/s3.js';

const sdk = (name: string, status?: number) => Object.assign(new Error(`${name} happened`), { name, $metadata: { httpStatusCode: status } });
const net = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:9000`), { code });

const CASES: [string, unknown, ErrorCode][] = [
  ['NoSuchKey', sdk('NoSuchKey', 404), 'NOT_FOUND'],
  ['NoSuchBucket', sdk('NoSuchBucket', 404), 'NOT_FOUND'],
  ['HEAD 404 (NotFound)', sdk('NotFound', 404), 'NOT_FOUND'],
  ['AccessDenied', sdk('AccessDenied', 403), 'AUTH'],
  ['InvalidAccessKeyId', sdk('InvalidAccessKeyId', 403), 'AUTH'],
  ['SignatureDoesNotMatch', sdk('SignatureDoesNotMatch', 403), 'AUTH'],
  ['InvalidBucketName', sdk('InvalidBucketName', 400), 'CONFIG'],
  ['KeyTooLongError', sdk('KeyTooLongError', 400), 'CONFIG'],
  ['InvalidArgument', sdk('InvalidArgument', 400), 'CONFIG'],
  ['MinIO ".." key', sdk('XMinioInvalidResourceName', 400), 'CONFIG'],
  ['MinIO invalid object name', sdk('XMinioInvalidObjectName', 400), 'CONFIG'],
  ['another 400', sdk('SomethingOdd', 400), 'CONFIG'],
  ['SlowDown', sdk('SlowDown', 503), 'TRANSIENT'],
  ['InternalError', sdk('InternalError', 500), 'TRANSIENT'],
  ['502 without a code', sdk('UnknownError', 502), 'TRANSIENT'],
  ['429', sdk('TooManyRequests', 429), 'TRANSIENT'],
  ['ECONNREFUSED', net('ECONNREFUSED'), 'TRANSIENT'],
  ['ECONNRESET', net('ECONNRESET'), 'TRANSIENT'],
  ['ETIMEDOUT', net('ETIMEDOUT'), 'TRANSIENT'],
  ['a wrapped socket error', Object.assign(new Error('socket hang up'), { cause: { code: 'ECONNRESET' } }), 'TRANSIENT'],
  ['TimeoutError', sdk('TimeoutError'), 'TRANSIENT'],
  ['something unknown', new Error('what is this'), 'UNKNOWN'],
  ['a 409 conflict', sdk('BucketNotEmpty', 409), 'UNKNOWN'],
];

for (const [what, err, code] of CASES) {
  test(`${what} → ${code}`, () => {
    assert.equal(s3ErrorCode(err), code);
    const e = s3Error(err, { file: 's3://b/k' });
    assert.ok(e instanceof FerryError);
    assert.equal(e.code, code);
    assert.equal(e.context.file, 's3://b/k');
    assert.equal(e.retryable, code === 'TRANSIENT' || code === 'UNKNOWN');
  });
}

test('a key with a ".." or "." segment is a CONFIG error before any request, and invalid in the schemas', async () => {
  const client = { send: () => assert.fail('no request may be sent') } as unknown as S3Client;
  for (const key of ['a/../b.csv', '../etc/passwd', 'a/./b.csv']) {
    await assert.rejects(downloadObject(client, { bucket: 'b', key }, '/nonexistent'), (err: unknown) => err instanceof FerryError && err.code === 'CONFIG' && /may not contain "\.\." or "\." segments/.test(err.message));
    await assert.rejects(uploadFile(client, '/nonexistent', { bucket: 'b', key }), (err: unknown) => err instanceof FerryError && err.code === 'CONFIG');
    assert.equal(s3Source.schema.safeParse({ type: 's3', connection: 'c', bucket: 'b', key }).success, false);
    assert.equal(s3Sink.schema.safeParse({ type: 's3', connection: 'c', input: 'd', bucket: 'b', key }).success, false);
  }
  assert.equal(s3Source.schema.safeParse({ type: 's3', connection: 'c', bucket: 'b', key: 'a..b/c.csv' }).success, true);
});
