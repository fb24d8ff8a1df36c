/** Glob matching, the listing prefix, fan-out parts, incremental windows and S3 client settings. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { globToRegExp, globPrefix, compareKeys, selectionFilter } from '../../../../src/connect/s3-objects.js';
import { inWindow, partsOf, watermarkOf, PART_KEYS_LIMIT } from '../../../../activities/sources/s3-plan.js';
import { s3ClientConfig } from '../../../../src/connect/s3.js';
import { maskSecrets } from '../../../../src/pipeline/interpolate.js';

test('globs are anchored; * and ? stay within a segment; ** spans segments', () => {
  const m = (glob: string, key: string) => globToRegExp(glob).test(key);
  assert.ok(m('raw/2024-*/sales_*.csv.gz', 'raw/2024-01/sales_1.csv.gz'));
  assert.ok(!m('raw/2024-*/sales_*.csv.gz', 'raw/2024-01/x/sales_1.csv.gz'));
  assert.ok(!m('raw/2024-*/sales_*.csv.gz', 'raw/2024-01/sales_1.csv.gz.bak'));
  assert.ok(!m('raw/*.csv', 'xraw/a.csv'));
  assert.ok(m('raw/**/x.csv', 'raw/x.csv'));
  assert.ok(m('raw/**/x.csv', 'raw/a/b/x.csv'));
  assert.ok(!m('raw/**/x.csv', 'raw/a/bx.csv'));
  assert.ok(m('raw/**', 'raw/a/b/c'));
  assert.ok(m('d/?.csv', 'd/a.csv') && !m('d/?.csv', 'd/ab.csv') && !m('d/?', 'd//'));
  assert.ok(m('d/[a-c]1.{csv,tsv}', 'd/b1.tsv') && !m('d/[a-c]1.{csv,tsv}', 'd/d1.csv') && !m('d/[!a]1', 'd/a1'));
  assert.ok(m('d/a.b(c)+$', 'd/a.b(c)+$') && !m('d/a.b', 'd/axb'));
  assert.ok(m('d/\\*.csv', 'd/*.csv') && !m('d/\\*.csv', 'd/a.csv'));
  assert.throws(() => globToRegExp('a/{b,c'), /"\{" is never closed/);
  assert.equal(globPrefix('raw/2024-*/sales_*.csv'), 'raw/2024-');
  assert.equal(globPrefix('raw/a\\*b/*'), 'raw/a*b/');
  assert.equal(globPrefix('**/x'), '');
});

test('keys compare in S3 order (UTF-8 bytes), not UTF-16', () => {
  assert.ok(compareKeys('a\uFF61', 'a\u{1F600}') < 0); // UTF-16 puts the emoji's surrogate first
  assert.ok('a\uFF61' > 'a\u{1F600}');
});

test('incremental windows by key and LastModified, and the watermark of what was read', () => {
  const objs = [
    { key: 'r/2024-01-01.csv', lastModified: '2024-01-01T10:00:00.000Z' },
    { key: 'r/2024-01-02.csv', lastModified: '2024-01-03T09:00:00.500Z' },
    { key: 'r/2024-01-03.csv', lastModified: '2024-01-02T08:00:00.000Z' },
  ];
  assert.deepEqual(inWindow(objs, { cursor: 'key', start: 'r/2024-01-01.csv' }).map((o) => o.key), ['r/2024-01-02.csv', 'r/2024-01-03.csv']);
  assert.deepEqual(inWindow(objs, { cursor: 'last_modified', start: '2024-01-02' }).map((o) => o.key), ['r/2024-01-02.csv', 'r/2024-01-03.csv']);
  assert.deepEqual(inWindow(objs, { cursor: 'updated_at', start: 'x' }), objs); // a column: rows are filtered, not objects
  assert.equal(watermarkOf(objs, { cursor: 'key' }), 'r/2024-01-03.csv');
  assert.equal(watermarkOf(objs, { cursor: 'last_modified' }), '2024-01-03T09:00:00.500Z');
  assert.equal(watermarkOf([], { cursor: 'key' }), undefined);
  assert.throws(() => inWindow(objs, { cursor: 'last_modified', start: 'yesterday' }), /not a date or time/);
});

test('parts: key lists up to the limit, key ranges beyond it; every object in exactly one part', () => {
  const objs = (n: number) => Array.from({ length: n }, (_v, i) => ({ key: `k/${String(i).padStart(5, '0')}` }));
  assert.deepEqual(partsOf(objs(3), 1, undefined).map((p) => p.name), ['object-1', 'object-2', 'object-3']);
  const big = partsOf(objs(PART_KEYS_LIMIT + 1), 400, undefined);
  assert.deepEqual(big, [
    { name: 'objects-0001-0400', through: 'k/00399' },
    { name: 'objects-0401-0800', after: 'k/00399', through: 'k/00799' },
    { name: 'objects-0801-1001', after: 'k/00799', through: 'k/01000' },
  ]);
});

test('S3 client settings: connections.yaml first, then the AWS variables, then defaults', () => {
  const env = { AWS_ENDPOINT_URL: 'http://env:9000', AWS_ENDPOINT_URL_S3: 'http://env-s3:9000', AWS_REGION: 'eu-west-1', AWS_SECRET_ACCESS_KEY: 'env-secret-value-123' };
  assert.deepEqual(s3ClientConfig({ type: 's3' }, {}), { endpoint: undefined, region: 'us-east-1', forcePathStyle: false });
  assert.deepEqual(s3ClientConfig({ type: 's3' }, env), { endpoint: 'http://env-s3:9000', region: 'eu-west-1', forcePathStyle: true });
  assert.deepEqual(s3ClientConfig({ type: 's3', endpoint: 'http://yaml:9000', region: 'us-west-2', force_path_style: false, access_key_id: 'AK', secret_access_key: 'SK', session_token: 'ST', profile: 'p' }, env), {
    endpoint: 'http://yaml:9000', region: 'us-west-2', forcePathStyle: false, credentials: { accessKeyId: 'AK', secretAccessKey: 'SK', sessionToken: 'ST' }, profile: 'p',
  });
  assert.equal(s3ClientConfig({ type: 's3' }, { AWS_DEFAULT_REGION: 'ap-south-1' }).region, 'ap-south-1');
  assert.throws(() => s3ClientConfig({ type: 's3', access_key_id: 'AK' }, {}), /set both access_key_id and secret_access_key/);
  assert.throws(() => s3ClientConfig({ type: 's3', endpoint: '127.0.0.1:9000' }, {}), /must be an http:\/\/ or https:\/\/ URL/);
  // A secret taken from the environment is masked like one from the file.
  assert.equal(maskSecrets('denied for env-secret-value-123'), 'denied for ***');
});

test('selection: a prefix skips "folder" markers, a key matches only itself, a glob lists from its literal part', () => {
  const prefix = selectionFilter({ bucket: 'b', prefix: 'raw/' });
  assert.equal(prefix.prefix, 'raw/');
  assert.deepEqual(['raw/', 'raw/a.csv', 'raw/2024/', 'raw/2024/b.csv'].filter(prefix.matches), ['raw/a.csv', 'raw/2024/b.csv']);
  const key = selectionFilter({ bucket: 'b', key: 'raw/a.csv' });
  assert.equal(key.prefix, 'raw/a.csv');
  assert.deepEqual(['raw/a.csv', 'raw/a.csv.bak', 'raw/a.csv/'].filter(key.matches), ['raw/a.csv']);
  const glob = selectionFilter({ bucket: 'b', glob: 'raw/2024-*/x.csv' });
  assert.equal(glob.prefix, 'raw/2024-');
  assert.deepEqual(['raw/2024-01/x.csv', 'raw/2024-01/y/x.csv', 'raw/2024-01/x.csv.gz'].filter(glob.matches), ['raw/2024-01/x.csv']);
});
