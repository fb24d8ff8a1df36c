/**
 * DuckDB → PostgreSQL: a DuckDB table with every type the sink maps, loaded into a table the sink
 * creates, read back from PostgreSQL as text: the created types and every value exact (or, for
 * nanoseconds, truncated to PostgreSQL's microseconds, as documented).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { pgAdapters } from '../support/pg-adapters.js';
import { randomId } from '../support/harness.js';
import type { TableEngine } from '../../src/table/engine.js';

const s = `ferry_st_${randomId()}`;
let pg: Awaited<ReturnType<typeof pgAdapters>>;
let duck: TableEngine;

/** name, DuckDB expression (row 1), row 3, the created PostgreSQL type, row 1 and row 3 read back as text. */
const CASES: [string, string, string, string, string | null, string | null][] = [
  ['ns', "TIMESTAMP_NS '2024-01-01 10:00:00.123456789'", "TIMESTAMP_NS '1970-01-01 00:00:00'", 'timestamp without time zone', '2024-01-01 10:00:00.123456', '1970-01-01 00:00:00'],
  ['ms', "TIMESTAMP_MS '2024-01-01 10:00:00.123'", "TIMESTAMP_MS '2024-01-01 00:00:00'", 'timestamp without time zone', '2024-01-01 10:00:00.123', '2024-01-01 00:00:00'],
  ['sec', "TIMESTAMP_S '2024-01-01 10:00:00'", "TIMESTAMP_S '2024-01-01 00:00:01'", 'timestamp without time zone', '2024-01-01 10:00:00', '2024-01-01 00:00:01'],
  ['ts', "TIMESTAMP '2024-02-29 23:59:59.999999'", "TIMESTAMP '0044-03-15 (BC) 10:00:00'", 'timestamp without time zone', '2024-02-29 23:59:59.999999', '0044-03-15 10:00:00 BC'],
  ['tstz', "TIMESTAMPTZ '2024-03-10 01:30:00.123456+05:30'", "TIMESTAMPTZ 'infinity'", 'timestamp with time zone', '2024-03-09 20:00:00.123456+00', 'infinity'],
  ['d', "DATE '2024-02-29'", "DATE '0044-03-15 (BC)'", 'date', '2024-02-29', '0044-03-15 BC'],
  ['tm', "TIME '23:59:59.999999'", "TIME '00:00:00'", 'time without time zone', '23:59:59.999999', '00:00:00'],
  ['ttz', "TIMETZ '10:00:00+05:30'", "TIMETZ '00:00:00-12'", 'time with time zone', '10:00:00+05:30', '00:00:00-12'],
  ['ut', '255::UTINYINT', '0::UTINYINT', 'smallint', '255', '0'],
  ['us', '65535::USMALLINT', '0::USMALLINT', 'integer', '65535', '0'],
  ['ui', '4294967295::UINTEGER', '0::UINTEGER', 'bigint', '4294967295', '0'],
  ['ub', '18446744073709551615::UBIGINT', '0::UBIGINT', 'numeric(20,0)', '18446744073709551615', '0'],
  ['hi', "'-170141183460469231731687303715884105728'::HUGEINT", '170141183460469231731687303715884105727::HUGEINT', 'numeric(39,0)', '-170141183460469231731687303715884105728', '170141183460469231731687303715884105727'],
  ['ti', "'-128'::TINYINT", '127::TINYINT', 'smallint', '-128', '127'],
  ['bi', "'-9223372036854775808'::BIGINT", '9223372036854775807::BIGINT', 'bigint', '-9223372036854775808', '9223372036854775807'],
  ['dec', '12345678901234567890.123456::DECIMAL(38,6)', "'-0.000001'::DECIMAL(38,6)", 'numeric', '12345678901234567890.123456', '-0.000001'],
  ['dec2', '1.25::DECIMAL(5,2)', "'-999.99'::DECIMAL(5,2)", 'numeric(5,2)', '1.25', '-999.99'],
  ['dbl', '0.1::DOUBLE', "'-inf'::DOUBLE", 'double precision', '0.1', '-Infinity'],
  ['flt', '1.1::FLOAT', "'nan'::FLOAT", 'real', '1.1', 'NaN'],
  ['iv', "INTERVAL '1 year 2 months -3 days' - INTERVAL '04:05:06.789'", "INTERVAL '0 seconds' - INTERVAL '178000000 years'", 'interval', '1 year 2 mons -3 days -04:05:06.789', '-178000000 years'],
  ['il', '[1, NULL, 3]::INTEGER[]', '[]::INTEGER[]', 'integer[]', '{1,NULL,3}', '{}'],
  ['fixed', '[1, 2]::INTEGER[2]', '[0, -1]::INTEGER[2]', 'integer[]', '{1,2}', '{0,-1}'],
  ['tl', `['a,b', 'c"d', NULL, 'NULL', '', 'back\\slash', '{x}']`, "['']", 'text[]', '{"a,b","c\\"d",NULL,"NULL","","back\\\\slash","{x}"}', '{""}'],
  ['tsl', "[TIMESTAMP '2024-01-01', NULL]", "[TIMESTAMP '0044-03-15 (BC) 10:00:00']", 'timestamp without time zone[]', '{"2024-01-01 00:00:00",NULL}', '{"0044-03-15 10:00:00 BC"}'],
  ['bl', "['\\x01\\xFF'::BLOB]", "[''::BLOB]", 'bytea[]', '{"\\\\x01ff"}', '{"\\\\x"}'],
  ['nested', '[[1, 2], [3]]', '[[]]::INTEGER[][]', 'jsonb', '[[1, 2], [3]]', '[[]]'],
  ['structs', "[{'a': 1}]", '[]::STRUCT(a INTEGER)[]', 'jsonb', '[{"a": 1}]', '[]'],
  ['st', "{'a': 1, 'b': 'x', 'c': [1.50::DECIMAL(5,2)]}", "{'a': NULL, 'b': '', 'c': []}", 'jsonb', '{"a": 1, "b": "x", "c": [1.5]}', '{"a": null, "b": "", "c": []}'],
  ['mp', "MAP {'k': 1.5::DOUBLE, 'q\"': -2::DOUBLE}", "MAP {}::MAP(VARCHAR, DOUBLE)", 'jsonb', '{"k": 1.5, "q\\"": -2.0}', '{}'],
  ['js', `'{"a": [1, 2.50, 123456789012345678901234567890]}'::JSON`, `'"text"'::JSON`, 'jsonb', '{"a": [1, 2.50, 123456789012345678901234567890]}', '"text"'],
  ['bt', "'\\x00\\xFF\\x5C'::BLOB", "''::BLOB", 'bytea', '\\x00ff5c', '\\x'],
  ['bits', "'0101'::BIT", "'1'::BIT", 'bit varying', '0101', '1'],
  ['u', "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::UUID", "'00000000-0000-0000-0000-000000000000'::UUID", 'uuid', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '00000000-0000-0000-0000-000000000000'],
  ['b', 'true', 'false', 'boolean', 'true', 'false'],
  ['tx', `'line\nbreak, "quoted" \\ back'`, "''", 'text', 'line\nbreak, "quoted" \\ back', ''],
  ['en', "'b'::ENUM('a', 'b')", "'a'::ENUM('a', 'b')", 'text', 'b', 'a'],
  ['un', "union_value(n := 1)::UNION(n INTEGER, s VARCHAR)", "union_value(s := 'x')::UNION(n INTEGER, s VARCHAR)", 'jsonb', '{"n": 1}', '{"s": "x"}'],
];

before(async () => {
  pg = await pgAdapters();
  duck = await pg.engine();
  const values = (pick: (c: (typeof CASES)[number]) => string) => CASES.map((c) => `${pick(c)} AS ${c[0]}`).join(', ');
  await duck.run(`CREATE TABLE items AS SELECT 1 AS id, ${values((c) => c[1])}
    UNION ALL BY NAME SELECT 2 AS id, ${values(() => 'NULL')} UNION ALL BY NAME SELECT 3 AS id, ${values((c) => c[2])} ORDER BY id`);
});

after(async () => {
  await pg.sql(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
  await pg.close();
});

test('every DuckDB type lands in the PostgreSQL type the sink created, with its exact value', async () => {
  const columns = await duck.columns('items');
  assert.equal(columns.find((c) => c.name === 'ns')?.type, 'TIMESTAMP_NS', 'the DuckDB table holds the types under test');
  assert.equal(columns.find((c) => c.name === 'hi')?.type, 'HUGEINT');
  const result = await pg.write(duck, { table: `${s}.typed` }, { runKey: `t-${randomId()}` });
  assert.equal(result.rows, 3);
  const types = await pg.sql<{ name: string; type: string }>(`SELECT attname AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute
    WHERE attrelid = '${s}.typed'::regclass AND attnum > 1 ORDER BY attnum`);
  assert.deepEqual(types.map((t) => [t.name, t.type]), CASES.map((c) => [c[0], c[3]]));
  const utc = `CASE WHEN isfinite(tstz) THEN to_char(tstz AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00' ELSE tstz::text END`;
  const text = CASES.map((c) => `${c[0] === 'tstz' ? utc : `${c[0]}::text`} AS ${c[0]}`).join(', ');
  const rows = await pg.sql(`SELECT id, ${text} FROM ${s}.typed ORDER BY id`);
  assert.deepEqual(rows[0], { id: 1, ...Object.fromEntries(CASES.map((c) => [c[0], c[4]])) });
  assert.deepEqual(rows[1], { id: 2, ...Object.fromEntries(CASES.map((c) => [c[0], null])) }, 'NULL in every column');
  assert.deepEqual(rows[2], { id: 3, ...Object.fromEntries(CASES.map((c) => [c[0], c[5]])) });
});

test('into an existing table, values follow its columns: a list into jsonb, text into json, a nested list into a 2-D array', async () => {
  await pg.sql(`CREATE SCHEMA IF NOT EXISTS ${s}; CREATE TABLE ${s}.existing (il jsonb, tx jsonb, fixed int[], nested int[], bt text, st json)`);
  await duck.run(`CREATE TABLE shaped AS SELECT [1, NULL]::INTEGER[] AS il, '{"a": 1}' AS tx, [1, 2]::INTEGER[2] AS fixed, [[1, 2], [3, 4]] AS nested,
    '\\x01'::BLOB AS bt, {'k': [1]} AS st`);
  await pg.write(duck, { table: `${s}.existing` }, { runKey: `t-${randomId()}`, dataset: 'shaped' });
  assert.deepEqual(await pg.sql(`SELECT il::text, tx::text, fixed::text, nested::text, bt, st::text FROM ${s}.existing`), [
    { il: '[1, null]', tx: '{"a": 1}', fixed: '{1,2}', nested: '{{1,2},{3,4}}', bt: '\\x01', st: '{"k":[1]}' },
  ]);
});
