/**
 * The s3 sink's uploads against MinIO: the part size is honoured (the ETag counts the parts), a
 * cancelled multipart upload aborts itself (nothing left to list), a conditional multipart write
 * whose object changed fails retryably and leaves no upload behind, and a new attempt aborts only
 * the open uploads of its own keys.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateMultipartUploadCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { uploadFile } from '../../../src/connect/s3.js';
import { abortUploadsOf, PreconditionFailedError } from '../../../src/connect/s3-multipart.js';
import { s3SinkKit } from '../../support/s3-sink.js';

let kit: Awaited<ReturnType<typeof s3SinkKit>>;
let dir: string;
let big: string;
const MiB = 1024 * 1024;

before(async () => {
  kit = await s3SinkKit();
  dir = await mkdtemp(join(tmpdir(), 'ferry-s3mp-'));
  big = join(dir, 'big.bin');
  await writeFile(big, Buffer.alloc(23 * MiB, 3));
});
after(async () => {
  await kit?.close();
  await rm(dir, { recursive: true, force: true });
});

test('the part size is honoured: 23 MiB in 5 MiB parts is a 5-part object; the sink\'s part_size_mb reaches the upload', async () => {
  const etag = await uploadFile(kit.s3, big, { bucket: kit.bucket, key: 'parts/five.bin' }, undefined, { partSize: 5 * MiB });
  assert.match(etag!, /-5"$/);
  const one = await uploadFile(kit.s3, big, { bucket: kit.bucket, key: 'parts/one.bin' }, undefined, { partSize: 32 * MiB });
  assert.doesNotMatch(one!, /-\d+"$/, 'below the part size: one PUT');
  // Through the sink: ~12 MB of CSV in 5 MiB parts.
  await kit.write(await kit.table(`SELECT range AS id, repeat('x', 100) AS pad FROM range(120000)`), { key: 'parts/sink.csv', part_size_mb: 5 });
  const head = await kit.s3.send(new HeadObjectCommand({ Bucket: kit.bucket, Key: 'parts/sink.csv' }));
  assert.match(head.ETag!, /-3"$/);
});

test('a cancelled multipart upload aborts itself: no object, no open upload', async () => {
  const cancel = new AbortController();
  const err = await uploadFile(kit.s3, big, { bucket: kit.bucket, key: 'parts/cancelled.bin' }, undefined, {
    partSize: 5 * MiB, signal: cancel.signal, onBytes: () => cancel.abort(new Error('cancelled')),
  }).catch((e: unknown) => e);
  assert.ok(err instanceof Error);
  assert.deepEqual(await kit.keys('parts/cancelled'), []);
  assert.deepEqual(await kit.uploads(['parts/cancelled.bin']), []);
});

test('a conditional multipart write over a changed object fails retryably and leaves no upload', async () => {
  const obj = { bucket: kit.bucket, key: 'parts/cond.bin' };
  const first = await uploadFile(kit.s3, big, obj, undefined, { partSize: 5 * MiB, ifNoneMatch: '*' });
  const err = await uploadFile(kit.s3, big, obj, undefined, { partSize: 5 * MiB, ifNoneMatch: '*' }).catch((e: unknown) => e);
  assert.ok(err instanceof PreconditionFailedError, String(err));
  assert.equal(err.retryable, true);
  const stale = await uploadFile(kit.s3, big, obj, undefined, { partSize: 5 * MiB, ifMatch: '"0123456789abcdef0123456789abcdef-5"' }).catch((e: unknown) => e);
  assert.ok(stale instanceof PreconditionFailedError);
  assert.ok(await uploadFile(kit.s3, big, obj, undefined, { partSize: 5 * MiB, ifMatch: first }));
  assert.deepEqual(await kit.uploads([obj.key]), []);
});

test('abortUploadsOf aborts the open uploads of exactly its keys, not of a key that merely shares the prefix', async () => {
  for (const key of ['mine/a.csv', 'mine/a.csv', 'mine/a.csv.bak']) await kit.s3.send(new CreateMultipartUploadCommand({ Bucket: kit.bucket, Key: key }));
  assert.equal(await abortUploadsOf(kit.s3, kit.bucket, ['mine/a.csv']), 2);
  assert.deepEqual(await kit.uploads(['mine/a.csv', 'mine/a.csv.bak']), ['mine/a.csv.bak']);
  assert.equal(await abortUploadsOf(kit.s3, kit.bucket, ['mine/a.csv.bak']), 1);
  assert.deepEqual(await kit.uploads(['mine/a.csv', 'mine/a.csv.bak']), []);
});
