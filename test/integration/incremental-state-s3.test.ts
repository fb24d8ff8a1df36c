/**
 * The watermark state on an S3 staging store (MinIO): a compare-and-swap checked by the server
 * (PUT with If-Match / If-None-Match), so concurrent commits from many workers never lose the
 * greatest value, and `ferry prune` never sees the state.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { DeleteBucketCommand, DeleteObjectsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { s3Client } from '../../src/connect/s3.js';
import { S3StagingStore } from '../../src/staging/store.js';
import { advanceWatermark, readState, stateKey } from '../../src/state/store.js';
import { testEnv, randomId } from '../support/harness.js';

testEnv();
const bucket = `it7-inc-state-${randomId()}`;
const s3 = s3Client({ type: 's3', endpoint: process.env.S3_ENDPOINT, region: 'us-east-1', access_key_id: process.env.AWS_ACCESS_KEY_ID!, secret_access_key: process.env.AWS_SECRET_ACCESS_KEY!, force_path_style: true });
const store = new S3StagingStore(`s3://${bucket}/staging`, s3);
// Several stores over one bucket: as many workers, each with its own client.
const stores = Array.from({ length: 4 }, () => new S3StagingStore(`s3://${bucket}/staging`, s3Client({ type: 's3', endpoint: process.env.S3_ENDPOINT, region: 'us-east-1', access_key_id: process.env.AWS_ACCESS_KEY_ID!, secret_access_key: process.env.AWS_SECRET_ACCESS_KEY!, force_path_style: true })));

after(async () => {
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket })).catch(() => undefined);
  const keys = (listed?.Contents ?? []).map((o) => ({ Key: o.Key! }));
  if (keys.length) await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys } }));
  await s3.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => undefined);
});

test('S3 state: no object (or no bucket) is no state; a stale version is refused by the server', async () => {
  assert.equal(await readState(store, 'shop', 'orders'), undefined);
  assert.equal(await store.writeText(stateKey('shop', 'orders'), '{"a":1}', null), true);
  assert.equal(await store.writeText(stateKey('shop', 'orders'), '{"a":2}', null), false, 'If-None-Match: * on an existing object');
  const first = (await store.readText(stateKey('shop', 'orders')))!;
  assert.equal(await store.writeText(stateKey('shop', 'orders'), '{"a":3}', first.version), true);
  assert.equal(await store.writeText(stateKey('shop', 'orders'), '{"a":4}', first.version), false, 'If-Match with the old ETag');
  assert.equal((await store.readText(stateKey('shop', 'orders')))!.text, '{"a":3}');
  await store.removeText(stateKey('shop', 'orders'));
});

test('S3 state: 40 concurrent commits from 4 workers end at the greatest value; prune does not see the state', async () => {
  const at = { pipeline: 'shop', source: 'events', cursor: 'seq' };
  const values = Array.from({ length: 40 }, (_, i) => String(9007199254740000 + i));
  await Promise.all(values.map((v, i) => advanceWatermark(stores[i % stores.length]!, at, v, 'number', `run-${i}`, new Date().toISOString())));
  const { state } = (await readState(store, 'shop', 'events'))!;
  assert.equal(state.value, values.at(-1));
  assert.ok(state.history.every((h, i, all) => i === all.length - 1 || BigInt(h.value!) > BigInt(all[i + 1]!.value!)), 'every recorded move goes forward');
  assert.deepEqual((await store.runs()).map((r) => r.run), []);
});
