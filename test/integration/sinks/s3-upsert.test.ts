/**
 * `mode: upsert` of the s3 sink against MinIO: the merged object's exact rows (newer and older
 * modified rows, new keys, kept rows), exact values across the merge (integers beyond 2^53,
 * decimals, NULL vs '' in CSV), idempotence when an attempt runs again after its PUT landed,
 * Parquet, partitions, duplicate incoming keys, and concurrent upserts that must not lose rows.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { s3SinkKit } from '../../support/s3-sink.js';
import { FerryError } from '../../../src/errors.js';

let kit: Awaited<ReturnType<typeof s3SinkKit>>;
before(async () => {
  kit = await s3SinkKit();
});
after(async () => {
  await kit?.close();
});

const spec = { key: 'dim/customers.csv', mode: 'upsert', keys: ['id'], modified_column: 'updated_at' };

test('upsert into CSV: the first write creates the object; the next merges by key, the newest modified row winning, exact values kept', async () => {
  const first = await kit.write(await kit.table(`SELECT * FROM (VALUES
    (9007199254740993::BIGINT, 'alice', 12345678901234567.891::DECIMAL(20,3), TIMESTAMP '2024-05-01 10:00:00'),
    (2, '', NULL, TIMESTAMP '2024-05-01 10:00:00'),
    (3, NULL, 1.000, TIMESTAMP '2024-05-01 10:00:00'),
    (4, 'dora', 4.000, TIMESTAMP '2024-05-01 10:00:00')) t(id, name, balance, updated_at)`), spec);
  assert.equal(first.target, `s3://${kit.bucket}/dim/customers.csv`);
  assert.deepEqual([first.rows, first.detail], [4, 'csv, upsert: 0 updated, 4 inserted, 0 kept']);

  // Run 2: id 2 newer (updated), id 3 older (skipped), id 5 new, ids 4 and 9007199254740993 only in the object (kept).
  const second = await kit.write(await kit.table(`SELECT * FROM (VALUES
    (2, 'bob', 2.500::DECIMAL(20,3), TIMESTAMP '2024-05-02 09:00:00'),
    (3, 'carol-old', 3.000, TIMESTAMP '2024-04-30 00:00:00'),
    (5, 'erin', 5.125, TIMESTAMP '2024-05-02 09:00:00')) t(id, name, balance, updated_at)`), spec);
  assert.deepEqual([second.rows, second.detail], [5, 'csv, upsert: 1 updated, 1 inserted, 2 kept, 1 older skipped']);
  const merged = await kit.text('dim/customers.csv');
  assert.equal(merged, [
    'id,name,balance,updated_at',
    '2,bob,2.500,2024-05-02 09:00:00',
    '3,,1.000,2024-05-01 10:00:00',
    '4,dora,4.000,2024-05-01 10:00:00',
    '5,erin,5.125,2024-05-02 09:00:00',
    '9007199254740993,alice,12345678901234567.891,2024-05-01 10:00:00',
    '',
  ].join('\n'));

  // An attempt that runs again after its PUT landed merges the same rows again: the same bytes.
  const before = await kit.bytes('dim/customers.csv');
  const retry = await kit.write(await kit.table(`SELECT * FROM (VALUES
    (2, 'bob', 2.500::DECIMAL(20,3), TIMESTAMP '2024-05-02 09:00:00'),
    (3, 'carol-old', 3.000, TIMESTAMP '2024-04-30 00:00:00'),
    (5, 'erin', 5.125, TIMESTAMP '2024-05-02 09:00:00')) t(id, name, balance, updated_at)`), spec);
  assert.equal(retry.rows, 5);
  assert.deepEqual(await kit.bytes('dim/customers.csv'), before);
});

test('NULL and the empty string stay apart across a CSV merge, and a tie on modified goes to the incoming row', async () => {
  const s = { key: 'dim/nulls.csv', mode: 'upsert', keys: ['id'], modified_column: 'v' };
  await kit.write(await kit.table(`SELECT * FROM (VALUES (1, '', 1), (2, NULL, 1), (3, 'x', 1)) t(id, note, v)`), s);
  await kit.write(await kit.table(`SELECT * FROM (VALUES (3, 'tie', 1)) t(id, note, v)`), s);
  assert.equal(await kit.text('dim/nulls.csv'), 'id,note,v\n1,"",1\n2,,1\n3,tie,1\n');
  const rows = await kit.query('dim/nulls.csv', (f) => `SELECT id, note IS NULL AS is_null, note FROM read_csv(${f}, header = true, allow_quoted_nulls = false) ORDER BY id`);
  assert.deepEqual(rows.map((r) => [r.id, r.is_null]), [[1, false], [2, true], [3, false]]);
});

test('without modified_column the incoming row always wins', async () => {
  const s = { key: 'dim/plain.csv', mode: 'upsert', keys: ['id'] };
  await kit.write(await kit.table(`SELECT * FROM (VALUES (1, 'a'), (2, 'b')) t(id, label)`), s);
  const r = await kit.write(await kit.table(`SELECT * FROM (VALUES (2, 'B'), (3, 'C')) t(id, label)`), s);
  assert.equal(r.detail, 'csv, upsert: 1 updated, 1 inserted, 1 kept');
  assert.equal(await kit.text('dim/plain.csv'), 'id,label\n1,a\n2,B\n3,C\n');
});

test('upsert into Parquet keeps types and values exactly', async () => {
  const s = { key: 'dim/items.parquet', mode: 'upsert', keys: ['id'], modified_column: 'ts' };
  await kit.write(await kit.table(`SELECT * FROM (VALUES (9007199254740993::BIGINT, 0.1::DECIMAL(38,18), '' , 1), (2, 2.0, NULL, 1)) t(id, amount, note, ts)`), s);
  await kit.write(await kit.table(`SELECT * FROM (VALUES (2::BIGINT, 123456789.123456789012345678::DECIMAL(38,18), 'two', 2), (3, 3.0, 'three', 2)) t(id, amount, note, ts)`), s);
  const rows = await kit.query('dim/items.parquet', (f) => `SELECT id::VARCHAR AS id, amount::VARCHAR AS amount, note, typeof(amount) AS t FROM read_parquet(${f}) ORDER BY id`);
  assert.deepEqual(rows, [
    { id: '2', amount: '123456789.123456789012345678', note: 'two', t: 'DECIMAL(38,18)' },
    { id: '3', amount: '3.000000000000000000', note: 'three', t: 'DECIMAL(38,18)' },
    { id: '9007199254740993', amount: '0.100000000000000000', note: '', t: 'DECIMAL(38,18)' },
  ]);
});

test('upsert with partition_by merges each partition it has rows for and leaves the others', async () => {
  const s = { key: 'dim/by-country', format: 'csv', partition_by: ['country'], mode: 'upsert', keys: ['id'] };
  await kit.write(await kit.table(`SELECT * FROM (VALUES (1, 'DE', 'a'), (2, 'FR', 'b')) t(id, country, label)`), s);
  const r = await kit.write(await kit.table(`SELECT * FROM (VALUES (1, 'DE', 'A'), (3, 'DE', 'c')) t(id, country, label)`), s);
  assert.equal(r.detail, 'csv, 1 partition by country, upsert: 1 updated, 1 inserted, 0 kept');
  assert.deepEqual(await kit.keys('dim/by-country/'), ['dim/by-country/country=DE/part-0.csv', 'dim/by-country/country=FR/part-0.csv']);
  assert.equal(await kit.text('dim/by-country/country=DE/part-0.csv'), 'id,label\n1,A\n3,c\n');
  assert.equal(await kit.text('dim/by-country/country=FR/part-0.csv'), 'id,label\n2,b\n');
});

test('duplicate keys in the incoming rows are a DATA error naming the key; nothing is written', async () => {
  const err = await kit.write(await kit.table(`SELECT * FROM (VALUES (1, 'a'), (7, 'b'), (7, 'c')) t(id, label)`), { key: 'dim/dups.csv', mode: 'upsert', keys: ['id'] }).catch((e: unknown) => e);
  assert.ok(err instanceof FerryError);
  assert.equal(err.code, 'DATA');
  assert.equal(err.describe(), 'dataset items, s3://' + kit.bucket + '/dim/dups.csv, field id: duplicate key in the rows to upsert: id="7" occurs 2 times (upsert needs one row per key: dedupe first)');
  assert.deepEqual(await kit.keys('dim/dups'), []);
});

test('concurrent upserts from different runs lose no rows: a PUT whose object changed is merged again', async () => {
  const s = { key: 'dim/concurrent.csv', mode: 'upsert', keys: ['id'] };
  await kit.write(await kit.table(`SELECT 0 AS id, 'seed' AS who`), s);
  const writers = 6;
  const tables = await Promise.all(Array.from({ length: writers }, (_v, w) => kit.table(`SELECT ${w} * 100 + range AS id, 'w${w}' AS who FROM range(1, 51)`)));
  const results = await Promise.all(tables.map((t, w) => kit.write(t, s, { runKey: `run-${w}` })));
  const rows = await kit.query('dim/concurrent.csv', (f) => `SELECT count(*) AS n, count(DISTINCT id) AS ids, count(*) FILTER (WHERE who = 'seed') AS seed FROM read_csv(${f})`);
  assert.deepEqual(rows, [{ n: 1 + writers * 50, ids: 1 + writers * 50, seed: 1 }]);
  const remerged = results.filter((r) => /merged again after/.test(r.detail!)).length;
  assert.ok(remerged > 0, `some writers had to merge again: ${results.map((r) => r.detail).join(' | ')}`);
});
