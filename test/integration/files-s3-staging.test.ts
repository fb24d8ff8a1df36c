/**
 * Local files in and out, with the staging store on S3 (MinIO), as workers on several machines
 * would share it: the DatasetRefs point into the bucket, and the files written are exact.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile, readFile, rm } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { startHarness, randomId, testEnv } from '../support/harness.js';
import { stagingFromEnv } from '../../src/staging/store.js';
import { s3Client, parseS3Uri } from '../../src/connect/s3.js';
import { TableEngine } from '../../src/table/engine.js';

const dir = `.ferry/test-files/${randomId()}`;
let h: Awaited<ReturnType<typeof startHarness>>;
const stagingEnv = () => ({
  FERRY_STAGING: 's3://ferry-staging/it',
  FERRY_STAGING_S3_ENDPOINT: process.env.S3_ENDPOINT,
  AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID,
  AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY,
});

before(async () => {
  testEnv();
  h = await startHarness({ staging: stagingFromEnv(stagingEnv()) });
  await mkdir(dir, { recursive: true });
  await writeFile(`${dir}/orders.csv`, 'order_id,customer,total,placed\n1,c1,10.5,2024-03-01\n2,c2,99,2024-03-02\n3,c1,,2024-03-03\n4,c3,7.25,2024-03-04\n');
  await writeFile(`${dir}/customers.json`, JSON.stringify([{ customer: 'c1', region: 'north' }, { customer: 'c2', region: 'south' }]));
  await writeFile(`${dir}/files.yaml`, `
name: files
sources:
  orders: { type: file, path: ${dir}/orders.csv, columns: { order_id: INTEGER, customer: VARCHAR, total: DOUBLE, placed: DATE } }
  customers: { type: file, path: ${dir}/customers.json }
standardize:
  - { type: join, left: orders, right: customers, on: [customer], how: left, output: joined }
preprocess:
  - { type: fill, input: joined, columns: { total: 0, region: unknown } }
  - { type: derive, input: joined, columns: { big: 'total > 50' } }
sinks:
  csv: { type: file, input: joined, path: ${dir}/out/orders.csv }
  parquet: { type: file, input: joined, path: ${dir}/out/orders.parquet }
  ndjson: { type: file, input: joined, path: ${dir}/out/orders.ndjson.gz, format: ndjson }
`);
});
after(async () => {
  await h?.stop();
  await rm(dir, { recursive: true, force: true });
});

test('a file pipeline with S3 staging writes exact CSV, Parquet and gzipped NDJSON', async () => {
  const { report } = await h.run(`${dir}/files.yaml`);
  assert.equal(report.status, 'completed');

  const uris = report.stages.flatMap((s) => s.datasets.filter((d) => !d.dataset.includes('→')).map((d) => d.uri));
  assert.equal(uris.length, 4);
  const s3 = s3Client({ type: 's3', endpoint: process.env.S3_ENDPOINT, region: 'us-east-1', access_key_id: process.env.AWS_ACCESS_KEY_ID, secret_access_key: process.env.AWS_SECRET_ACCESS_KEY, force_path_style: true });
  for (const uri of uris) {
    assert.match(uri, new RegExp(`^s3://ferry-staging/it/files/${report.workflowId}/(ingest|standardize|preprocess)/\\w+\\.parquet$`));
    const { bucket, key } = parseS3Uri(uri);
    await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })); // throws if the claim check is not there
  }

  assert.equal(await readFile(`${dir}/out/orders.csv`, 'utf8'), [
    'order_id,customer,total,placed,region,big',
    '1,c1,10.5,2024-03-01,north,false',
    '2,c2,99.0,2024-03-02,south,true',
    '3,c1,0.0,2024-03-03,north,false',
    '4,c3,7.25,2024-03-04,unknown,false',
    '',
  ].join('\n'));
  const ndjson = gunzipSync(await readFile(`${dir}/out/orders.ndjson.gz`)).toString('utf8').trim().split('\n').map((l) => JSON.parse(l) as unknown);
  assert.deepEqual(ndjson[1], { order_id: 2, customer: 'c2', total: 99, placed: '2024-03-02', region: 'south', big: true });
  assert.equal(ndjson.length, 4);

  // The run is listed in the S3 staging store with its size, and can be pruned from it.
  const store = stagingFromEnv(stagingEnv());
  const run = (await store.runs()).find((r) => r.run === `files/${report.workflowId}`);
  assert.ok(run && run.bytes > 0, 'the run is listed');
  await store.removeRun(run.run);
  assert.equal((await store.runs()).some((r) => r.run === run.run), false, 'and is gone after removeRun');

  const t = await TableEngine.open(`${dir}/engine`);
  try {
    const rows = await t.rows(`SELECT order_id, total, region FROM read_parquet('${dir}/out/orders.parquet') ORDER BY order_id`);
    assert.deepEqual(rows, [
      { order_id: 1, total: 10.5, region: 'north' },
      { order_id: 2, total: 99, region: 'south' },
      { order_id: 3, total: 0, region: 'north' },
      { order_id: 4, total: 7.25, region: 'unknown' },
    ]);
  } finally {
    t.close();
  }
});

test('a sink with its own retry policy gives up after its own maximum_attempts', async () => {
  await writeFile(`${dir}/connections.yaml`, 'down:\n  type: http\n  base_url: http://127.0.0.1:1\n');
  const file = `${dir}/down.yaml`;
  await writeFile(file, `
name: files
sources:
  customers: { type: file, path: ${dir}/customers.json }
sinks:
  # Nothing listens on port 1: every attempt fails with a retryable connection error.
  api: { type: http, connection: down, input: customers, path: /in, retry: { maximum_attempts: 2, initial_interval: 100ms } }
`);
  process.env.FERRY_CONNECTIONS = `${dir}/connections.yaml`;
  try {
    const handle = await h.start(file);
    await assert.rejects(handle.result());
    const events = (await handle.fetchHistory()).events!;
    const failed = events.find((e) => e.activityTaskFailedEventAttributes)!;
    const started = events.find((e) => Number(e.eventId) === Number(failed.activityTaskFailedEventAttributes!.startedEventId))!;
    assert.equal(started.activityTaskStartedEventAttributes!.attempt, 2, "stopped at the sink's own maximum_attempts");
    assert.match(failed.activityTaskFailedEventAttributes!.failure!.message!, /^stage deliver, dataset customers, POST http:\/\/127\.0\.0\.1:1\/in: request failed: .*ECONNREFUSED/);
  } finally {
    delete process.env.FERRY_CONNECTIONS;
  }
});
