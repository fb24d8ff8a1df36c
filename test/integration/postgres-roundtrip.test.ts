/**
 * PostgreSQL → Ferry → PostgreSQL keeps every common type exactly: the source reads a table, the
 * dataset goes through the Parquet staging file (as between stages), and the sink loads it into a
 * table of the same definition and into one it creates. `a EXCEPT b` and `b EXCEPT a` are empty
 * (json compared as jsonb; intervals and numerics also as text, since '1 mon' = '30 days').
 * The same dataset written as Parquet and CSV reads back exactly, as local files and as S3 objects
 * written by the s3 sink and fetched back from MinIO.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFile, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { pgAdapters } from '../support/pg-adapters.js';
import { randomId } from '../support/harness.js';
import type { TableEngine } from '../../src/table/engine.js';
import { writeTableFile } from '../../src/table/formats.js';
import { GetObjectCommand, DeleteObjectCommand, DeleteBucketCommand } from '@aws-sdk/client-s3';
import { s3Sink } from '../../activities/sinks/s3.js';
import { s3Client } from '../../src/connect/s3.js';
import type { SinkContext } from '../../activities/adapter.js';
import { jsonValueSql } from '../../src/table/json-out.js';

const s = `ferry_rt_${randomId()}`;
let pg: Awaited<ReturnType<typeof pgAdapters>>;
let staged: TableEngine;

const COLUMNS = `id int, big bigint, small smallint, num20 numeric(20,6), num_fit numeric, num_wide numeric, f8 double precision, f4 real,
  tstz timestamptz, ts timestamp, d date, t time, ttz timetz, iv interval, b boolean, u uuid, jb jsonb, j json,
  ta text[], ia int[], ia2 int[], na numeric(10,2)[], by bytea, tx text, ip inet`;

before(async () => {
  pg = await pgAdapters();
  await pg.sql(`CREATE SCHEMA ${s}; CREATE TABLE ${s}.a (${COLUMNS}); CREATE TABLE ${s}.b (LIKE ${s}.a)`);
  await pg.sql(`INSERT INTO ${s}.a VALUES
    (1, -9223372036854775808, -32768, 12345678901234.123456, 123456789012345678901234567890.123456, 123456789012345678901234567890.5,
     0.1, 1.1, '2024-03-10 01:30:00.123456+05:30', '1999-12-31 23:59:59.999999', '2024-02-29', '23:59:59.999999', '10:00:00+05:30',
     '1 year 2 mons -3 days 04:05:06.789', true, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
     '{"a": 1, "n": {"b": [1, 2.50, "x"]}, "big": 123456789012345678901234567890.123}', E'{"a": 1,\\n "b": [true, null], "a": 2}',
     '{"a,b","c\\"d",NULL,"NULL","",x}', '{1,NULL,-2147483648}', '{{1,2},{3,4}}', '{1.50,NULL}', '\\x00ff10', '', '192.168.0.1/24'),
    (2, 9223372036854775807, 32767, -99999999999999.999999, -0.5, 0.000000000000000000000000000001,
     1e300, 3.4e38, '-infinity', 'infinity', '0044-03-15 BC', '24:00:00', '00:00:00-12',
     '-178000000 years', false, '00000000-0000-0000-0000-000000000000', '[]', '"text"', '{}', '{}', '{}', '{}', '\\x', 'NULL', '::1'),
    (3, 0, 0, 0, 0, 'NaN', 'NaN', '-Infinity', '0044-03-15 10:00:00+00 BC', '2000-01-01 00:00:00', '-infinity', '00:00:00', '23:59:59+14',
     '-1 days +02:00:00', NULL, NULL, 'null', '{}', '{""}', '{0}', '{{5}}', '{-0.01}', '\\x5c22', E'line\\nbreak, "quoted"', NULL),
    (4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`);
  // The staging step between stages: the source's dataset goes to Parquet and is read back.
  const read = await pg.read(`SELECT * FROM ${s}.a`, { batch_size: 2 }, { dataset: 'a' });
  await read.exportParquet('a', join(read.workdir, 'a.parquet'));
  staged = await pg.engine();
  await staged.loadParquet('a', join(read.workdir, 'a.parquet'));
});

after(async () => {
  await pg.sql(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
  await pg.close();
});

/** Every column, with json as jsonb (json has no equality) and interval/numeric also as text. */
const COMPARABLE = `id, big, small, num20, num_fit, num_wide, f8, f4, tstz, ts, d, t, ttz, iv, iv::text AS iv_text, b, u, jb, j::jsonb AS j,
  ta, ia, ia2, na, by, tx, ip, num20::text AS num20_text`;

async function differences(left: string, right: string): Promise<unknown[]> {
  return pg.sql(`(SELECT ${COMPARABLE} FROM ${left} EXCEPT ALL SELECT ${COMPARABLE} FROM ${right})
    UNION ALL (SELECT ${COMPARABLE} FROM ${right} EXCEPT ALL SELECT ${COMPARABLE} FROM ${left})`);
}

test('the source keeps the types: exact numerics, JSON values, lists', async () => {
  assert.deepEqual(await staged.columns('a'), [
    { name: 'id', type: 'INTEGER' }, { name: 'big', type: 'BIGINT' }, { name: 'small', type: 'SMALLINT' },
    { name: 'num20', type: 'DECIMAL(20,6)' }, { name: 'num_fit', type: 'DECIMAL(38,6)' },
    // 30 integer digits and 30 decimals do not fit 38 digits, and NaN fits no DECIMAL: exact text.
    { name: 'num_wide', type: 'VARCHAR' },
    { name: 'f8', type: 'DOUBLE' }, { name: 'f4', type: 'FLOAT' }, { name: 'tstz', type: 'TIMESTAMP WITH TIME ZONE' },
    { name: 'ts', type: 'TIMESTAMP' }, { name: 'd', type: 'DATE' }, { name: 't', type: 'TIME' },
    // Parquet (the staging format) would shift a timetz to UTC, and keeps intervals in milliseconds, never negative: text.
    { name: 'ttz', type: 'VARCHAR' }, { name: 'iv', type: 'VARCHAR' }, { name: 'b', type: 'BOOLEAN' }, { name: 'u', type: 'UUID' }, { name: 'jb', type: 'JSON' }, { name: 'j', type: 'JSON' },
    { name: 'ta', type: 'VARCHAR[]' }, { name: 'ia', type: 'INTEGER[]' }, { name: 'ia2', type: 'INTEGER[][]' }, { name: 'na', type: 'DECIMAL(10,2)[]' },
    { name: 'by', type: 'BLOB' }, { name: 'tx', type: 'VARCHAR' }, { name: 'ip', type: 'VARCHAR' },
  ]);
  const [row] = await staged.rows(`SELECT num_fit::VARCHAR AS num_fit, num_wide, jb->>'$.n.b[1]' AS deep, json_type(j) AS j_type, j::VARCHAR AS j,
    ta, ia2, octet_length("by") AS bytes, iv FROM a WHERE id = 1`);
  assert.deepEqual(row, {
    num_fit: '123456789012345678901234567890.123456', num_wide: '123456789012345678901234567890.5', deep: '2.5', j_type: 'OBJECT',
    j: '{"a": 1,\n "b": [true, null], "a": 2}', ta: ['a,b', 'c"d', null, 'NULL', '', 'x'], ia2: [[1, 2], [3, 4]], bytes: 3, iv: '1 year 2 months -3 days 04:05:06.789',
  });
  const [jb] = await staged.rows(`SELECT jb::VARCHAR AS jb FROM a WHERE id = 1`);
  assert.equal(jb!.jb, '{"a": 1, "n": {"b": [1, 2.50, "x"]}, "big": 123456789012345678901234567890.123}');
});

test('PG → Ferry → PG into a table of the same definition: no row differs', async () => {
  const result = await pg.write(staged, { table: `${s}.b` }, { dataset: 'a', runKey: `rt-${randomId()}` });
  assert.deepEqual(result, { target: `postgres ${s}.b`, rows: 4, detail: 'append' });
  assert.deepEqual(await differences(`${s}.a`, `${s}.b`), []);
  // json keeps its own text (key order, duplicate keys, whitespace), not a string holding it.
  assert.deepEqual(await pg.sql(`SELECT j::text AS j, jsonb_typeof(jb) AS t FROM ${s}.b WHERE id = 1`), [{ j: '{"a": 1,\n "b": [true, null], "a": 2}', t: 'object' }]);
});

test('PG → Ferry → PG into a table the sink creates: mapped types, same values', async () => {
  await pg.write(staged, { table: `${s}.c` }, { dataset: 'a', runKey: `rt-${randomId()}` });
  const types = await pg.sql<{ column_name: string; t: string }>(`SELECT a.attname AS column_name, format_type(a.atttypid, a.atttypmod) AS t FROM pg_attribute a
    WHERE a.attrelid = '${s}.c'::regclass AND a.attnum > 0 ORDER BY a.attnum`);
  assert.deepEqual(Object.fromEntries(types.map((r) => [r.column_name, r.t])), {
    id: 'integer', big: 'bigint', small: 'smallint', num20: 'numeric(20,6)', num_fit: 'numeric', num_wide: 'text', f8: 'double precision', f4: 'real',
    tstz: 'timestamp with time zone', ts: 'timestamp without time zone', d: 'date', t: 'time without time zone', ttz: 'text',
    iv: 'text', b: 'boolean', u: 'uuid', jb: 'jsonb', j: 'jsonb', ta: 'text[]', ia: 'integer[]', ia2: 'jsonb', na: 'numeric(10,2)[]',
    by: 'bytea', tx: 'text', ip: 'text',
  });
  const asA = `(SELECT id, big, small, num20, num_fit, num_wide::numeric AS num_wide, f8, f4, tstz, ts, d, t, ttz::timetz AS ttz, iv::interval AS iv, b, u, jb, j::json AS j, ta, ia,
    ARRAY(SELECT jsonb_array_elements(jsonb_array_elements(ia2))::int) AS ia2, na, by, tx, ip::inet AS ip FROM ${s}.c)`;
  const flatA = `(SELECT id, big, small, num20, num_fit, num_wide, f8, f4, tstz, ts, d, t, ttz, iv, b, u, jb, j, ta, ia,
    ARRAY(SELECT unnest(ia2)) AS ia2, na, by, tx, ip FROM ${s}.a)`;
  assert.deepEqual(await differences(`${flatA} a`, `${asA} c`), []);
  assert.deepEqual(await pg.sql(`SELECT ia2 FROM ${s}.c ORDER BY id`), [{ ia2: [[1, 2], [3, 4]] }, { ia2: [] }, { ia2: [[5]] }, { ia2: null }]);
});

test('the dataset written as Parquet and as CSV reads back exactly', async () => {
  const parquet = join(staged.workdir, 'out.parquet');
  await writeTableFile(staged, 'a', parquet, { format: 'parquet' });
  const pq = await staged.rows(`SELECT count(*) AS n FROM (SELECT * FROM a EXCEPT ALL SELECT * FROM read_parquet('${parquet}')
    UNION ALL SELECT * FROM read_parquet('${parquet}') EXCEPT ALL SELECT * FROM a)`);
  assert.deepEqual(pq, [{ n: 0 }]);
  // CSV is text: what python's csv module reads must be each value's text (lists as JSON), NULL as an empty field and '' as "".
  const csv = join(staged.workdir, 'out.csv');
  await writeTableFile(staged, 'a', csv, { format: 'csv' });
  const fields = JSON.parse(execFileSync('python3', ['-c', 'import csv,json,sys; print(json.dumps(list(csv.reader(open(sys.argv[1], newline="")))))', csv], { encoding: 'utf8' })) as string[][];
  const text = (c: { name: string; type: string }) => (c.type.endsWith(']') ? jsonValueSql(`"${c.name}"`, c.type) : `CAST("${c.name}" AS VARCHAR)`);
  const expected = await staged.rows(`SELECT ${(await staged.columns('a')).map((c) => `coalesce(${text(c)}, '') AS "${c.name}"`).join(', ')} FROM a`);
  assert.deepEqual(fields[0], (await staged.columns('a')).map((c) => c.name));
  assert.deepEqual(fields.slice(1), expected.map((r) => Object.values(r)));
  // '' and NULL stay apart: an empty text is written "" and a NULL as nothing at all.
  const written = await readFile(csv, 'utf8');
  assert.ok(written.includes(',"",192.168.0.1/24\n'), 'row 1: tx is the empty string');
  assert.ok(written.endsWith(`\n4${','.repeat(24)}\n`), 'row 4: every column NULL');
  // A text[] is a JSON array, which python's json module reads back to the same strings.
  assert.deepEqual(JSON.parse(fields[1]![18]!), ['a,b', 'c"d', null, 'NULL', '', 'x']);
  assert.equal(fields[1]![21], '[1.50,null]', 'a numeric(10,2)[] keeps its scale');
});

test('the dataset written by the s3 sink as Parquet and CSV reads back exactly from the object', async () => {
  const lake = { type: 's3' as const, endpoint: process.env.S3_ENDPOINT, region: 'us-east-1', access_key_id: process.env.AWS_ACCESS_KEY_ID, secret_access_key: process.env.AWS_SECRET_ACCESS_KEY, force_path_style: true };
  const bucket = `ferry-rt-${randomId()}`;
  const ctx = { workdir: staged.workdir, table: staged, sink: 'lake', dataset: 'a', rows: await staged.count('a'), runKey: 'rt', runStartedAt: '2024-01-01T00:00:00Z',
    signal: new AbortController().signal, progress: () => undefined, connection: () => lake } as unknown as SinkContext;
  const fetch = async (key: string, file: string) => {
    const res = await s3Client(lake).send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    await writeFile(join(staged.workdir, file), await res.Body!.transformToByteArray());
    return join(staged.workdir, file);
  };
  try {
    for (const key of ['rt/a.parquet', 'rt/a.csv']) {
      await s3Sink.write(s3Sink.schema.parse({ type: 's3', connection: 'lake', input: 'a', bucket, key, create_bucket: true }), ctx);
    }
    const parquet = await fetch('rt/a.parquet', 'from-s3.parquet');
    assert.deepEqual(await staged.rows(`SELECT count(*) AS n FROM (SELECT * FROM a EXCEPT ALL SELECT * FROM read_parquet('${parquet}')
      UNION ALL SELECT * FROM read_parquet('${parquet}') EXCEPT ALL SELECT * FROM a)`), [{ n: 0 }]);
    // The CSV object, read by python's csv module, holds each value's text (lists and structs as JSON).
    const csv = await fetch('rt/a.csv', 'from-s3.csv');
    const local = join(staged.workdir, 'local.csv');
    await writeTableFile(staged, 'a', local, { format: 'csv' });
    const read = (file: string) => JSON.parse(execFileSync('python3', ['-c', 'import csv,json,sys; print(json.dumps(list(csv.reader(open(sys.argv[1], newline="")))))', file], { encoding: 'utf8' })) as string[][];
    const fromS3 = read(csv);
    assert.equal(fromS3.length, 5);
    assert.deepEqual(fromS3, read(local));
  } finally {
    for (const key of ['rt/a.parquet', 'rt/a.csv']) await s3Client(lake).send(new DeleteObjectCommand({ Bucket: bucket, Key: key })).catch(() => undefined);
    await s3Client(lake).send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => undefined);
  }
});
