/**
 * Where the s3 sink writes, against MinIO: `versioned: true` (a version folder per logical run, the
 * manifest, a re-run overwriting its own version), `partition_by` (hive folders with escaped values,
 * exact files and rows, no stale partitions after a re-run), key templates with the run date.
 * Objects are read back with the S3 client (and the aws CLI when installed).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { s3SinkKit } from '../../support/s3-sink.js';
import type { Manifest } from '../../../src/connect/s3-versions.js';

let kit: Awaited<ReturnType<typeof s3SinkKit>>;
before(async () => {
  kit = await s3SinkKit();
});
after(async () => {
  await kit?.close();
});

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const DAY1 = { key: 'sales-2024-05-01', time: '2024-05-01T00:00:00.000Z', date: '2024-05-01' };
const DAY2 = { key: 'sales-2024-05-02', time: '2024-05-02T00:00:00.000Z', date: '2024-05-02' };

/** The aws CLI's view of an object, when the CLI is installed. */
function awsCat(key: string): string | undefined {
  try {
    execFileSync('which', ['aws'], { stdio: 'ignore' });
  } catch {
    return undefined;
  }
  return execFileSync('aws', ['s3', 'cp', `s3://${kit.bucket}/${key}`, '-', '--endpoint-url', process.env.S3_ENDPOINT!], {
    env: { ...process.env, AWS_ACCESS_KEY_ID: 'ferry', AWS_SECRET_ACCESS_KEY: 'ferry-secret', AWS_DEFAULT_REGION: 'us-east-1' },
    encoding: 'utf8',
  });
}

test('versioned: two logical runs make two versions and a manifest; a re-run of a run overwrites its own version', async () => {
  const spec = { key: 'curated/sales.csv', versioned: true };
  const r1 = await kit.write(await kit.table(`SELECT * FROM (VALUES (1, 'a'), (2, 'b')) t(id, label)`), spec, { run: DAY1 });
  assert.equal(r1.target, `s3://${kit.bucket}/curated/sales.csv/2024-05-01T00.00.00.000Z/sales.csv`);
  assert.equal(r1.detail, 'csv, version 2024-05-01T00.00.00.000Z');
  const r2 = await kit.write(await kit.table(`SELECT * FROM (VALUES (1, 'a'), (2, 'b'), (3, 'c')) t(id, label)`), spec, { run: DAY2 });
  assert.equal(r2.target, `s3://${kit.bucket}/curated/sales.csv/2024-05-02T00.00.00.000Z/sales.csv`);
  // Day 1 runs again with other data: its version is replaced, day 2 stays the latest.
  await kit.write(await kit.table(`SELECT * FROM (VALUES (1, 'A')) t(id, label)`), spec, { run: DAY1 });

  assert.deepEqual(await kit.keys('curated/'), [
    'curated/sales.csv/2024-05-01T00.00.00.000Z/sales.csv',
    'curated/sales.csv/2024-05-02T00.00.00.000Z/sales.csv',
    'curated/sales.csv/_versions.json',
  ]);
  assert.equal(await kit.text('curated/sales.csv/2024-05-01T00.00.00.000Z/sales.csv'), 'id,label\n1,A\n');
  assert.equal(await kit.text('curated/sales.csv/2024-05-02T00.00.00.000Z/sales.csv'), 'id,label\n1,a\n2,b\n3,c\n');
  const manifest = JSON.parse(await kit.text('curated/sales.csv/_versions.json')) as Manifest;
  assert.equal(manifest.latest, '2024-05-02T00.00.00.000Z');
  assert.deepEqual(manifest.versions.map((v) => [v.version, v.key, v.run_id, v.rows, v.bytes]), [
    ['2024-05-01T00.00.00.000Z', 'curated/sales.csv/2024-05-01T00.00.00.000Z/sales.csv', 'sales-2024-05-01', 1, 13],
    ['2024-05-02T00.00.00.000Z', 'curated/sales.csv/2024-05-02T00.00.00.000Z/sales.csv', 'sales-2024-05-02', 3, 21],
  ]);
  for (const v of manifest.versions) {
    assert.equal(v.sha256, sha(await kit.bytes(v.key)), `sha256 of ${v.version}`);
    assert.match(v.written_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  }
  // Reading the latest, as the docs say: the manifest's latest entry's key.
  const latest = manifest.versions.find((v) => v.version === manifest.latest)!;
  const viaCli = awsCat(latest.key);
  if (viaCli !== undefined) assert.equal(viaCli, 'id,label\n1,a\n2,b\n3,c\n');
});

test('partition_by: hive folders with escaped values, the default partition for NULL and \'\', exact files; a re-run leaves no stale partition', async () => {
  const spec = { key: 'sales/{run_date}', format: 'csv', partition_by: ['country'] };
  const first = await kit.write(await kit.table(`SELECT * FROM (VALUES (1, 'DE', 10.50), (2, 'FR', 3.25), (3, 'DE', 7.00), (4, NULL, 1.00), (5, 'a/b=c:d', 2.00), (6, '', 4.00)) t(id, country, amount)`), spec, { run: DAY1 });
  assert.equal(first.target, `s3://${kit.bucket}/sales/2024-05-01/`);
  assert.equal(first.rows, 6);
  assert.equal(first.detail, 'csv, 4 partitions by country');
  assert.deepEqual(await kit.keys('sales/'), [
    'sales/2024-05-01/country=DE/part-0.csv',
    'sales/2024-05-01/country=FR/part-0.csv',
    'sales/2024-05-01/country=__HIVE_DEFAULT_PARTITION__/part-0.csv',
    'sales/2024-05-01/country=a%2Fb%3Dc%3Ad/part-0.csv',
  ]);
  assert.equal(await kit.text('sales/2024-05-01/country=DE/part-0.csv'), 'id,amount\n1,10.50\n3,7.00\n');
  assert.equal(await kit.text('sales/2024-05-01/country=__HIVE_DEFAULT_PARTITION__/part-0.csv'), 'id,amount\n4,1.00\n6,4.00\n');
  assert.equal(await kit.text('sales/2024-05-01/country=a%2Fb%3Dc%3Ad/part-0.csv'), 'id,amount\n5,2.00\n');

  // The same logical run again, FR gone: its file must not survive.
  const again = await kit.write(await kit.table(`SELECT * FROM (VALUES (1, 'DE', 11.00), (7, 'IT', 5.00)) t(id, country, amount)`), spec, { run: DAY1 });
  assert.equal(again.detail, 'csv, 2 partitions by country, 3 stale partition files removed');
  assert.deepEqual(await kit.keys('sales/'), ['sales/2024-05-01/country=DE/part-0.csv', 'sales/2024-05-01/country=IT/part-0.csv']);
  assert.equal(await kit.text('sales/2024-05-01/country=DE/part-0.csv'), 'id,amount\n1,11.00\n');
  assert.equal(await kit.text('sales/2024-05-01/country=IT/part-0.csv'), 'id,amount\n7,5.00\n');
});

test('partition_by with versioned and Parquet: files under the version folder, read back with hive partitioning', async () => {
  const spec = { key: 'events', format: 'parquet', partition_by: ['country', 'day'], versioned: true };
  const out = await kit.write(await kit.table(`SELECT * FROM (VALUES (9007199254740993::BIGINT, 'DE', DATE '2024-05-01'), (2, 'DE', DATE '2024-05-02'), (3, 'FR', DATE '2024-05-01')) t(id, country, day)`), spec, { run: DAY2 });
  assert.equal(out.target, `s3://${kit.bucket}/events/2024-05-02T00.00.00.000Z/`);
  assert.deepEqual(await kit.keys('events/'), [
    'events/2024-05-02T00.00.00.000Z/country=DE/day=2024-05-01/part-0.parquet',
    'events/2024-05-02T00.00.00.000Z/country=DE/day=2024-05-02/part-0.parquet',
    'events/2024-05-02T00.00.00.000Z/country=FR/day=2024-05-01/part-0.parquet',
    'events/_versions.json',
  ]);
  const rows = await kit.query('events/2024-05-02T00.00.00.000Z/country=DE/day=2024-05-01/part-0.parquet', (f) => `SELECT id::VARCHAR AS id FROM read_parquet(${f})`);
  assert.deepEqual(rows, [{ id: '9007199254740993' }]);
  const manifest = JSON.parse(await kit.text('events/_versions.json')) as Manifest;
  assert.deepEqual(manifest.versions.map((v) => [v.key, v.rows, v.files]), [['events/2024-05-02T00.00.00.000Z/', 3, 3]]);
});

test('key templates: {run_date}, {run_time} and ${run.…} name the logical run\'s object', async () => {
  const out = await kit.write(await kit.table(`SELECT 1 AS id`), { key: 'daily/{run_date}/sales-{run_time}-${run.date_nodash}.csv' }, { run: DAY1 });
  assert.equal(out.target, `s3://${kit.bucket}/daily/2024-05-01/sales-20240501T000000Z-20240501.csv`);
  assert.equal(await kit.text('daily/2024-05-01/sales-20240501T000000Z-20240501.csv'), 'id\n1\n');
});
