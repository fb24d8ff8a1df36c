/**
 * The catalog with S3 staging (MinIO): a run records its datasets beside the staged data in the
 * bucket (`_catalog/…`), and `ferry catalog list` and `show` read them there, rows included.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DeleteObjectsCommand, DeleteBucketCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { startHarness, randomId, testEnv } from '../support/harness.js';
import { ferry } from '../support/ferry-cli.js';
import { stagingFromEnv } from '../../src/staging/store.js';
import { s3Client } from '../../src/connect/s3.js';

const id = randomId();
const bucket = `ferry-catalog-${id}`;
const dir = join('.ferry', `catalog-s3-${id}`);
const pipeline = `catalog-s3-${id}`;
let h: Awaited<ReturnType<typeof startHarness>>;
const env = () => ({
  FERRY_STAGING: `s3://${bucket}/staging`,
  FERRY_STAGING_S3_ENDPOINT: process.env.S3_ENDPOINT,
  AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID,
  AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY,
  FERRY_CONNECTIONS: 'config/connections.yaml',
});

before(async () => {
  testEnv();
  h = await startHarness({ staging: stagingFromEnv(env()) });
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'items.csv'), 'id,name\n1,apple\n2,banana\n3,cherry\n');
  await writeFile(join(dir, 'p.yaml'), `name: ${pipeline}\nsources:\n  items: { type: file, path: ${dir}/items.csv }\n`);
});
after(async () => {
  const s3 = s3Client({ type: 's3', endpoint: process.env.S3_ENDPOINT, region: 'us-east-1', access_key_id: process.env.AWS_ACCESS_KEY_ID!, secret_access_key: process.env.AWS_SECRET_ACCESS_KEY!, force_path_style: true });
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket })).catch(() => undefined);
  const keys = (listed?.Contents ?? []).map((o) => ({ Key: o.Key! }));
  if (keys.length) await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys } }));
  await s3.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => undefined);
  await h?.stop();
  await rm(dir, { recursive: true, force: true });
});

test('catalog list and show read the catalog and the rows from S3 staging', async () => {
  const run = await ferry(['run', join(dir, 'p.yaml'), '--id', `${pipeline}-v1`, '--wait', '--task-queue', h.taskQueue], env());
  assert.equal(run.code, 0, run.stderr);
  const list = await ferry(['catalog', 'list'], env());
  assert.equal(list.code, 0, list.stderr);
  const lines = list.stdout.split('\n');
  assert.equal(lines[0], `catalog at s3://${bucket}/staging: 1 dataset`);
  assert.match(lines[2]!, new RegExp(`^  ${pipeline} +items +${pipeline}-v1 +3 +\\S+Z +1$`));
  const show = await ferry(['catalog', 'show', 'items', '--limit', '2'], env());
  assert.equal(show.code, 0, show.stderr);
  assert.match(show.stdout, new RegExp(`\\n {2}file +s3://${bucket}/staging/${pipeline}/${pipeline}-v1/ingest/items\\.parquet \\(3 rows, `));
  assert.ok(show.stdout.endsWith('first 2 of 3 rows\n  id  name\n  1   apple\n  2   banana\n'), show.stdout);
  const runs = await stagingFromEnv(env()).runs();
  assert.deepEqual(runs.map((r) => r.run), [`${pipeline}/${pipeline}-v1`], '_catalog is not a run');
});
