/**
 * The s3 sink's options (valid and invalid configs), Hive's escaping of partition values, Kedro's
 * version names and layout, and the multipart part size.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { s3Sink, runVersion } from '../../../../activities/sinks/s3.js';
import { hiveEscape, hiveUnescape, HIVE_NULL } from '../../../../src/connect/s3-partitions.js';
import { versionOf, versionedKey, manifestKey } from '../../../../src/connect/s3-versions.js';
import type { S3Client } from '@aws-sdk/client-s3';
import { FerryError } from '../../../../src/errors.js';
import { partSizeFor, MIN_PART_SIZE, DEFAULT_PART_SIZE } from '../../../../src/connect/s3-multipart.js';

const base = { type: 's3', connection: 'lake', input: 'sales', bucket: 'b', key: 'curated/sales.csv' };

test('valid s3 sink configs', () => {
  for (const extra of [
    {},
    { versioned: true },
    { partition_by: ['country'], key: 'curated/sales', format: 'csv' },
    { mode: 'upsert', keys: ['id'] },
    { mode: 'upsert', keys: ['id', 'day'], modified_column: 'updated_at', key: 'dim/c.parquet' },
    { mode: 'upsert', keys: ['id'], partition_by: ['country'], key: 'dim/c', format: 'parquet' },
    { mode: 'overwrite', part_size_mb: 5 },
    { part_size_mb: 5120 },
  ]) {
    const res = s3Sink.schema.safeParse({ ...base, ...extra });
    assert.ok(res.success, `${JSON.stringify(extra)}: ${res.success ? '' : res.error.message}`);
  }
});

test('invalid s3 sink configs name the field and what is expected', () => {
  const cases: [Record<string, unknown>, string, RegExp][] = [
    [{ mode: 'upsert' }, 'keys', /mode upsert needs keys/],
    [{ keys: ['id'] }, 'keys', /keys are for mode upsert/],
    [{ mode: 'upsert', keys: [] }, 'keys', /./],
    [{ modified_column: 'u' }, 'modified_column', /modified_column is for mode upsert/],
    [{ mode: 'upsert', keys: ['id'], versioned: true }, 'versioned', /choose one/],
    [{ mode: 'upsert', keys: ['id'], key: 'x.json' }, 'format', /CSV or Parquet/],
    [{ mode: 'merge' }, 'mode', /./],
    [{ part_size_mb: 4 }, 'part_size_mb', /./],
    [{ partition_by: [] }, 'partition_by', /./],
    [{ key: 'a/../b.csv' }, 'key', /"\.\."/],
    [{ key: 'out/o.xlsx' }, 'format', /cannot tell the format .* set format/],
    [{ key: 'curated/sales', partition_by: ['country'] }, 'format', /set format/],
    [{ mode: 'upsert', keys: ['country'], partition_by: ['country'], key: 'dim/c', format: 'csv' }, 'keys', /a key column that is not a partition column/],
  ];
  for (const [extra, path, message] of cases) {
    const res = s3Sink.schema.safeParse({ ...base, ...extra });
    assert.equal(res.success, false, JSON.stringify(extra));
    const issue = res.error!.issues.find((i) => i.path.join('.') === path);
    assert.ok(issue, `${JSON.stringify(extra)}: an issue at ${path}, got ${JSON.stringify(res.error!.issues)}`);
    assert.match(issue.message, message);
  }
});

test('partition values are escaped as Hive escapes them; NULL and \'\' are the default partition', () => {
  assert.equal(hiveEscape('DE'), 'DE');
  assert.equal(hiveEscape('a/b=c:d'), 'a%2Fb%3Dc%3Ad');
  assert.equal(hiveEscape('100%'), '100%25');
  assert.equal(hiveEscape('x y#?*[]^{}\\"\''), 'x y%23%3F%2A%5B%5D%5E%7B}%5C%22%27');
  assert.equal(hiveEscape('tab\there'), 'tab%09here');
  assert.equal(hiveEscape('Köln'), 'Köln');
  assert.equal(hiveEscape(null), HIVE_NULL);
  assert.equal(hiveEscape(''), HIVE_NULL);
  for (const v of ['a/b=c:d', '100%', 'tab\there', 'Köln']) assert.equal(hiveUnescape(hiveEscape(v)), v);
  assert.equal(hiveUnescape(HIVE_NULL), null);
});

test('versions are the logical run\'s time in Kedro\'s format, under <key>/<version>/<name>', () => {
  assert.equal(versionOf('2024-05-01T00:00:00Z'), '2024-05-01T00.00.00.000Z');
  assert.equal(versionOf('2024-05-01T02:30:00+02:00'), '2024-05-01T00.30.00.000Z');
  assert.equal(runVersion({ run: { key: 'r', time: '2024-05-01T00:00:00.000Z', date: '2024-05-01', timezone: 'UTC', trigger: 'schedule' }, runStartedAt: '2026-01-01T00:00:00Z' }), '2024-05-01T00.00.00.000Z');
  assert.equal(runVersion({ runStartedAt: '2026-01-01T10:11:12.345Z' }), '2026-01-01T10.11.12.345Z');
  assert.equal(versionedKey('curated/sales.csv', '2024-05-01T00.00.00.000Z'), 'curated/sales.csv/2024-05-01T00.00.00.000Z/sales.csv');
  assert.equal(versionedKey('curated/sales.csv/', 'v'), 'curated/sales.csv/v/sales.csv');
  assert.equal(manifestKey('curated/sales.csv'), 'curated/sales.csv/_versions.json');
});

test('the part size: at least 5 MiB, 16 MiB by default, grown to stay within 10,000 parts', () => {
  assert.equal(partSizeFor(1), DEFAULT_PART_SIZE);
  assert.equal(partSizeFor(1, 1024), MIN_PART_SIZE);
  assert.equal(partSizeFor(100 * 1024 ** 3, MIN_PART_SIZE), Math.ceil((100 * 1024 ** 3) / 10_000));
});

test('a credential that may not list uploads skips the clean-up (and says so); other failures fail the attempt', async () => {
  const { abortLeftovers } = await import('../../../../activities/sinks/s3-leftovers.js');
  const failing = (name: string, status: number) => ({ send: () => Promise.reject(Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } })) }) as unknown as S3Client;
  const notes: string[] = [];
  assert.equal(await abortLeftovers(failing('AccessDenied', 403), 'b', ['k.csv'], { progress: (p) => notes.push(p.note!) }), 0);
  assert.deepEqual(notes, ['unfinished uploads not checked: S3: AccessDenied']);
  const err = await abortLeftovers(failing('SlowDown', 503), 'b', ['k.csv'], { progress: () => undefined }).catch((e: unknown) => e);
  assert.ok(err instanceof FerryError);
  assert.deepEqual([err.code, err.context.file], ['TRANSIENT', 's3://b/k.csv']);
});
