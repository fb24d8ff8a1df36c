/**
 * PostgreSQL → S3 JSON and NDJSON → PostgreSQL, as a user would chain two pipelines: every number
 * keeps its digits (numeric(20,6), bigint extremes, long decimals inside jsonb), arrays stay arrays,
 * zoned timestamps stay instants, and the objects in S3 are strict JSON (no NaN or Infinity).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile, rm } from 'node:fs/promises';
import { startHarness, randomId } from '../support/harness.js';

const s = `ferry_jx_${randomId()}`;
const dir = `.ferry/test-files/${randomId()}`;
const bucket = 'ferry-demo';
const prefix = `it-json-${randomId()}`;
let h: Awaited<ReturnType<typeof startHarness>>;

const COLUMNS = 'id int, n20 numeric(20,6), big bigint, j jsonb, ta text[], ia int[], ts timestamptz, f float8, s text';
const COMPARED = 'id, n20, big, j, ta, ia, ts, s';

before(async () => {
  h = await startHarness();
  await h.sql(`CREATE SCHEMA ${s}; CREATE TABLE ${s}.src (${COLUMNS})`);
  await h.sql(`INSERT INTO ${s}.src VALUES
    (1, 99999999999999.999999, -9223372036854775808, '{"x": 0.12345678901234567890123, "big": 12345678901234567890123, "y": [2.50]}', '{a,"",NULL,"b c"}', '{1,NULL,-2147483648}', '2024-03-10 23:30:00.123456+00', 'NaN', ''),
    (2, -0.000001, 9223372036854775807, '[]', '{}', '{}', '1970-01-01 00:00:00+00', '-Infinity', NULL),
    (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'x')`);
  await mkdir(dir, { recursive: true });
  await writeFile(`${dir}/out.yaml`, `
name: json_out
sources:
  src: { type: postgres, connection: warehouse, query: 'SELECT * FROM ${s}.src ORDER BY id' }
sinks:
  json: { type: s3, connection: lake, input: src, bucket: ${bucket}, key: ${prefix}/src.json }
  ndjson: { type: s3, connection: lake, input: src, bucket: ${bucket}, key: ${prefix}/src.ndjson }
`);
  await writeFile(`${dir}/back.yaml`, `
name: json_back
sources:
  json: { type: s3, connection: lake, bucket: ${bucket}, key: ${prefix}/src.json }
  ndjson: { type: s3, connection: lake, bucket: ${bucket}, key: ${prefix}/src.ndjson }
sinks:
  json: { type: postgres, connection: warehouse, input: json, table: ${s}.from_json }
  ndjson: { type: postgres, connection: warehouse, input: ndjson, table: ${s}.from_ndjson }
`);
});

after(async () => {
  await h.sql(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
  for (const key of ['src.json', 'src.ndjson']) await h.s3Delete(bucket, `${prefix}/${key}`);
  await h.stop();
  await rm(dir, { recursive: true, force: true });
});

test('PG → S3 JSON/NDJSON → PG keeps every value and type', async () => {
  assert.equal((await h.run(`${dir}/out.yaml`)).report.status, 'completed');
  const ndjson = (await h.s3Text(bucket, `${prefix}/src.ndjson`))!;
  const json = (await h.s3Text(bucket, `${prefix}/src.json`))!;
  // Strict parsers read both; the digits are in the text itself.
  assert.equal(ndjson.trimEnd().split('\n').map((l) => JSON.parse(l) as unknown).length, 3);
  assert.equal((JSON.parse(json) as unknown[]).length, 3);
  assert.match(ndjson, /"n20":99999999999999\.999999,/);
  assert.match(ndjson, /"j":{"x": 0\.12345678901234567890123, "y": \[2\.50\], "big": 12345678901234567890123}/); // jsonb orders keys by length
  assert.match(ndjson, /"f":"NaN"/);

  assert.equal((await h.run(`${dir}/back.yaml`)).report.status, 'completed');
  for (const table of ['from_json', 'from_ndjson']) {
    const types = await h.sql<{ c: string; t: string }>(`SELECT attname AS c, format_type(atttypid, atttypmod) AS t FROM pg_attribute
      WHERE attrelid = '${s}.${table}'::regclass AND attnum > 0 AND attname IN ('n20', 'big', 'j', 'ta', 'ts') ORDER BY attnum`);
    assert.deepEqual(types.map((r) => `${r.c} ${r.t}`), ['n20 numeric(20,6)', 'big bigint', 'j jsonb', 'ta text[]', 'ts timestamp with time zone'], table);
    const diff = await h.sql(`(SELECT ${COMPARED} FROM ${s}.src EXCEPT ALL SELECT ${COMPARED} FROM ${s}.${table})
      UNION ALL (SELECT ${COMPARED} FROM ${s}.${table} EXCEPT ALL SELECT ${COMPARED} FROM ${s}.src)`);
    assert.deepEqual(diff, [], table);
  }
});
