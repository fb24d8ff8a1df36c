/**
 * Local files in and out, with the staging store on S3 (MinIO), as workers on several machines
 * would share it: the DatasetRefs point into the bucket, and the files written are exact.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile, readFile, rm } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { HeadObjectCommand, PutObjectCommand, GetObjectCommand, DeleteObjectCommand, DeleteBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { startHarness, randomId, testEnv } from '../support/harness.js';
import { stagingFromEnv, S3StagingStore } from '../../src/staging/store.js';
import { s3Source } from '../../activities/sources/s3.js';
import { s3Sink } from '../../activities/sinks/s3.js';
import type { SourceContext, SinkContext } from '../../activities/adapter.js';
import { FerryError } from '../../src/errors.js';
import { s3Client, parseS3Uri, ensureBucket } from '../../src/connect/s3.js';
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
    // The engine reads only its own directories: the file is admitted (linked or copied) first.
    await t.loadParquet('written', `${dir}/out/orders.parquet`);
    const rows = await t.rows('SELECT order_id, total, region FROM written ORDER BY order_id');
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

const minio = () => ({ type: 's3' as const, endpoint: process.env.S3_ENDPOINT, region: 'us-east-1', access_key_id: process.env.AWS_ACCESS_KEY_ID, secret_access_key: process.env.AWS_SECRET_ACCESS_KEY, force_path_style: true });

test('S3 objects: bad bytes are DataErrors naming the s3:// key and line, missing ones NOT_FOUND, CSV written with its null marker', async () => {
  const bucket = `ferry-files-${randomId()}`;
  const s3 = s3Client(minio());
  const t = await TableEngine.open(`${dir}/engine-s3`);
  const ctx = { table: t, dataset: 'obj', workdir: t.workdir, progress: () => undefined, connection: () => minio(), runKey: 'run-s3', runStartedAt: '2024-05-01T00:00:00Z', rows: 0, sink: 'lake' } as unknown as SourceContext & SinkContext;
  const put = (key: string, body: string | Buffer) => s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  const readFails = async (key: string): Promise<FerryError> => {
    const err = await s3Source.read(s3Source.schema.parse({ type: 's3', connection: 'lake', bucket, key }), ctx).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof FerryError, `expected a FerryError for ${key}, got ${String(err)}`);
    return err;
  };
  try {
    await ensureBucket(s3, bucket);
    await put('raw/fake.csv.gz', 'id,x\n1,2\n');
    await put('raw/bad.ndjson', '{"a":1}\n{"a":2}\n{"a": oops}\n');
    const gz = await readFails('raw/fake.csv.gz');
    assert.equal(gz.code, 'DATA');
    assert.match(gz.describe(), new RegExp(`^dataset obj, s3://${bucket}/raw/fake\\.csv\\.gz: not a valid gzip file`));
    const nd = await readFails('raw/bad.ndjson');
    assert.equal(nd.code, 'DATA');
    assert.match(nd.describe(), new RegExp(`^dataset obj, s3://${bucket}/raw/bad\\.ndjson:3: malformed JSON`));
    assert.doesNotMatch(nd.describe(), /\/tmp\/|admitted|staging-in/);
    assert.equal((await readFails('raw/missing.csv')).code, 'NOT_FOUND');

    // The sink honours null_values: NULL as the first marker, an empty string as "".
    await t.run(`CREATE TABLE out_rows AS SELECT * FROM (VALUES (1, '', NULL), (2, 'a', 'b')) v(id, s, n)`);
    await s3Sink.write(s3Sink.schema.parse({ type: 's3', connection: 'lake', input: 'out_rows', bucket, key: 'curated/run-s3.csv', csv: { null_values: ['NULL'] } }), { ...ctx, dataset: 'out_rows' });
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'curated/run-s3.csv' }));
    assert.equal(await got.Body!.transformToString(), 'id,"s","n"\n1,"",NULL\n2,"a","b"\n');
  } finally {
    t.close();
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket })).catch(() => ({ Contents: [] }));
    for (const o of listed.Contents ?? []) await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: o.Key! }));
    await s3.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => undefined);
  }
});

test('a failed bucket check is not remembered: the next commit checks again and succeeds', async () => {
  const bucket = `ferry-staging-${randomId()}`;
  const real = new S3Client({ endpoint: process.env.S3_ENDPOINT, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: process.env.AWS_ACCESS_KEY_ID!, secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY! } });
  let blips = 2; // HeadBucket fails with a network error, then everything works
  const flaky = new Proxy(real, {
    get(target, prop, receiver) {
      if (prop === 'send') {
        return (cmd: Parameters<S3Client['send']>[0]) => {
          if (blips > 0) {
            blips--;
            return Promise.reject(Object.assign(new Error('connect ECONNRESET'), { code: 'ECONNRESET' }));
          }
          return target.send(cmd);
        };
      }
      return Reflect.get(target, prop, receiver) as unknown;
    },
  });
  const store = new S3StagingStore(`s3://${bucket}/st`, flaky);
  await writeFile(`${dir}/part.txt`, 'hello');
  try {
    await assert.rejects(store.commit('a/part.txt', `${dir}/part.txt`), (err: unknown) => err instanceof FerryError && err.code === 'TRANSIENT');
    blips = 0;
    await store.commit('a/part.txt', `${dir}/part.txt`);
    assert.deepEqual(await store.list('a'), ['a/part.txt']);
  } finally {
    await real.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'st/a/part.txt' })).catch(() => undefined);
    await real.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => undefined);
  }
});
