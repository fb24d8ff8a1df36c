/**
 * An incremental s3 source through a whole run (Temporal, the ingest activity's window, the
 * watermark commit): by key and by LastModified, a run that finds nothing new completes with an
 * empty dataset and leaves the watermark where it was; the next new object is read once.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { PutObjectCommand, DeleteObjectCommand, DeleteBucketCommand, CreateBucketCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { startHarness, randomId } from '../../support/harness.js';
import { s3Client } from '../../../src/connect/s3.js';
import { resolveConnection } from '../../../src/connect/connections.js';
import { loadConnections } from '../../../src/pipeline/load.js';

const id = randomId();
const bucket = `it7-s3inc-e2e-${id}`;
const dir = `.ferry/test-files/s3inc-${id}`;
const file = `${dir}/inc.yaml`;
let h: Awaited<ReturnType<typeof startHarness>>;
let s3: ReturnType<typeof s3Client>;
const put = (Key: string, Body: string) => s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body }));

before(async () => {
  h = await startHarness();
  s3 = s3Client(resolveConnection(await loadConnections('config/connections.yaml'), 'lake', 's3'));
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await mkdir(dir, { recursive: true });
  await writeFile(file, `
name: s3inc_${id}
sources:
  by_key: { type: s3, connection: lake, bucket: ${bucket}, prefix: in/, incremental: { cursor: key } }
  by_time: { type: s3, connection: lake, bucket: ${bucket}, prefix: in/, incremental: { cursor: last_modified } }
sinks:
  k: { type: s3, connection: lake, input: by_key, bucket: ${bucket}, key: 'out/key/{run_id}.csv' }
  t: { type: s3, connection: lake, input: by_time, bucket: ${bucket}, key: 'out/time/{run_id}.csv' }
`);
});

after(async () => {
  await h?.stop();
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  for (const o of listed.Contents ?? []) await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: o.Key! }));
  await s3.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
});

test('a run with no new object completes empty and keeps the watermark; the next object is read once', async () => {
  await put('in/2024-01-01.csv', 'n\n1\n');
  const first = (await h.run(file)).report;
  assert.equal(first.status, 'completed', JSON.stringify(first.error ?? first));
  assert.deepEqual(first.watermarks?.by_key, { to: 'in/2024-01-01.csv' });

  const idle = await h.run(file);
  assert.equal(idle.report.status, 'completed', JSON.stringify(idle.report.error ?? idle.report));
  assert.equal(await h.s3Text(bucket, `out/key/${idle.handle.workflowId}.csv`), 'n\n');
  assert.equal(await h.s3Text(bucket, `out/time/${idle.handle.workflowId}.csv`), 'n\n');
  assert.deepEqual(idle.report.watermarks?.by_key, { unchanged: 'in/2024-01-01.csv' });

  await new Promise((r) => setTimeout(r, 1100)); // LastModified may have whole seconds
  await put('in/2024-01-02.csv', 'n\n2\n');
  const next = await h.run(file);
  assert.equal(next.report.status, 'completed', JSON.stringify(next.report.error ?? next.report));
  assert.equal(await h.s3Text(bucket, `out/key/${next.handle.workflowId}.csv`), 'n\n2\n');
  assert.equal(await h.s3Text(bucket, `out/time/${next.handle.workflowId}.csv`), 'n\n2\n');
  assert.deepEqual(next.report.watermarks?.by_key, { from: 'in/2024-01-01.csv', to: 'in/2024-01-02.csv' });
});
