/**
 * S3 transfers honour cancellation: `ferry cancel` aborts the activity's signal, and an upload or a
 * download in flight stops (no object appears, the download ends with an error) instead of running
 * to its end. Against MinIO.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HeadObjectCommand, DeleteObjectCommand, DeleteBucketCommand } from '@aws-sdk/client-s3';
import { s3Client, ensureBucket, uploadFile, downloadObject } from '../../src/connect/s3.js';
import { testEnv, randomId } from '../support/harness.js';

const bucket = `ferry-cancel-${randomId()}`;
let dir: string;
let big: string;
const s3 = () => s3Client({ type: 's3', endpoint: process.env.S3_ENDPOINT, region: 'us-east-1', access_key_id: process.env.AWS_ACCESS_KEY_ID, secret_access_key: process.env.AWS_SECRET_ACCESS_KEY, force_path_style: true });

before(async () => {
  testEnv();
  dir = await mkdtemp(join(tmpdir(), 'ferry-s3-cancel-'));
  big = join(dir, 'big.bin');
  await writeFile(big, Buffer.alloc(64 * 1024 * 1024, 7)); // four 16 MB parts
  await ensureBucket(s3(), bucket);
});
after(async () => {
  await s3().send(new DeleteObjectCommand({ Bucket: bucket, Key: 'whole.bin' })).catch(() => undefined);
  await s3().send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
});

test('an upload stops when its activity is cancelled: no object appears', async () => {
  const cancel = new AbortController();
  let moved = 0;
  const err = await uploadFile(s3(), big, { bucket, key: 'cancelled.bin' }, undefined, {
    signal: cancel.signal,
    onBytes: (n) => {
      moved = n;
      cancel.abort(new Error('cancelled'));
    },
  }).then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof Error, 'the upload ends with an error');
  assert.ok(moved < 64 * 1024 * 1024, `stopped after ${moved} bytes`);
  const head = await s3().send(new HeadObjectCommand({ Bucket: bucket, Key: 'cancelled.bin' })).then(() => 'exists', () => 'absent');
  assert.equal(head, 'absent');
});

test('a download stops when its activity is cancelled', async () => {
  await uploadFile(s3(), big, { bucket, key: 'whole.bin' });
  const cancel = new AbortController();
  let moved = 0;
  const err = await downloadObject(s3(), { bucket, key: 'whole.bin' }, join(dir, 'back.bin'), {
    signal: cancel.signal,
    onBytes: (n) => {
      moved = n;
      if (n > 1024 * 1024) cancel.abort(new Error('cancelled'));
    },
  }).then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof Error, 'the download ends with an error');
  assert.ok(moved < 64 * 1024 * 1024, `stopped after ${moved} bytes`);
});
