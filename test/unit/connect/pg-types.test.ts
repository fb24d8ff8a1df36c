/**
 * The PostgreSQL type plan, table-driven: how numeric columns are typed from their values (the COPY CSV scanned by DuckDB), the
 * interval text, the fast exact decimal parse (checked against DuckDB's own slow cast), and the
 * DuckDB → PostgreSQL column types of created tables.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { copyPlan, intervalSql, castSql } from '../../../src/connect/pg-read-types.js';
import { pgTypeOf } from '../../../src/connect/pg-write-types.js';
import { TableEngine, lit } from '../../../src/table/engine.js';

/** numeric(p,s) as PostgreSQL's type modifier. */
const typmod = (p: number, s: number) => ((p << 16) | s) + 4;

let dir: string;
let t: TableEngine;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-pgtypes-'));
  t = await TableEngine.open(dir);
});
after(async () => {
  t.close();
  await rm(dir, { recursive: true, force: true });
});

/** The DuckDB columns copyPlan gives a CSV of `rows` (each a list of column texts, null: NULL), as COPY writes it. */
async function typesOf(fields: { dataTypeID: number; dataTypeModifier: number }[], rows: (string | null)[][]): Promise<string[]> {
  const plan = copyPlan(fields.map((f, i) => ({ name: `n${i}`, ...f })));
  const file = join(dir, `${Math.random()}.csv`);
  await writeFile(file, rows.map((r) => `${r.map((v) => (v === null ? '' : `"${v.replace(/"/g, '""')}"`)).join(',')}\n`).join(''));
  const sql = plan.statsSql(file);
  const stats = plan.stats(sql ? (await t.rows(sql))[0] : undefined);
  return plan.columns(stats).map((c) => c.type);
}

describe('numeric columns are typed from their declaration and their values', () => {
  const CASES: [string, number, (string | null)[], string][] = [
    ['numeric(10,2)', typmod(10, 2), ['1.50', null], 'DECIMAL(10,2)'],
    ['numeric(38,0)', typmod(38, 0), ['1'], 'DECIMAL(38,0)'],
    ['numeric, scale from the values', -1, ['1.5', '-2.125', '3'], 'DECIMAL(38,3)'],
    ['numeric, 30 integer digits', -1, ['123456789012345678901234567890.5'], 'DECIMAL(38,1)'],
    ['numeric, 38 digits in all', -1, ['1234567890123456789012345678901234567.8'], 'DECIMAL(38,1)'],
    ['numeric, 39 digits in all: exact text', -1, ['12345678901234567890123456789012345678.9'], 'VARCHAR'],
    ['numeric, digits and scale of different rows add up past 38', -1, ['123456789012345678901234567890', '0.000000000000000000000000000001'], 'VARCHAR'],
    ['numeric, leading zeros do not count', -1, ['0.000000000000000000000000000000000001'], 'DECIMAL(38,36)'],
    ['numeric with NaN', -1, ['1', 'NaN'], 'VARCHAR'],
    ['numeric with Infinity', -1, ['-Infinity'], 'VARCHAR'],
    ['numeric(10,2) with NaN', typmod(10, 2), ['NaN'], 'VARCHAR'],
    ['numeric(50,10), values that fit', typmod(50, 10), ['12345.5'], 'DECIMAL(38,10)'],
    ['numeric, no values', -1, [null], 'DECIMAL(38,0)'],
  ];
  for (const [name, mod, values, type] of CASES) {
    it(`${name} → ${type}`, async () => {
      assert.deepEqual(await typesOf([{ dataTypeID: 1700, dataTypeModifier: mod }], values.map((v) => [v])), [type]);
    });
  }
  it('numeric[] elements are typed the same way, lists of lists by their depth', async () => {
    const fields = [{ dataTypeID: 1231, dataTypeModifier: -1 }, { dataTypeID: 1007, dataTypeModifier: -1 }, { dataTypeID: 1007, dataTypeModifier: -1 }];
    assert.deepEqual(await typesOf(fields, [['["1.5",null,"-2.25"]', '[["1","2"],["3","4"]]', '["1"]'], ['[]', '[]', '[["1"]]']]), ['DECIMAL(38,2)[]', 'INTEGER[][]', 'JSON']);
  });
});

describe('intervalSql: PostgreSQL\'s ISO 8601 interval as text both DuckDB and PostgreSQL cast back', () => {
  const CASES: [string, string][] = [
    ['P1Y2M-3DT-4H-5M-6.789S', '1 year 2 months -3 days -04:05:06.789'],
    ['P1Y2M3DT4H5M6.789S', '1 year 2 months 3 days 04:05:06.789'],
    ['PT0S', '00:00:00'],
    ['P-178000000Y', '-178000000 years'],
    ['P-1Y-2M3DT-14.706789S', '-1 year -2 months 3 days -00:00:14.706789'],
    ['P1D', '1 day'],
    ['PT100H', '100:00:00'],
    ['PT0.000001S', '00:00:00.000001'],
    ['PT-0.5S', '-00:00:00.5'],
    ['PT1H-1M', '00:59:00'],
    ['P-1Y-1M', '-1 year -1 month'],
    ['not iso', 'not iso'],
  ];
  for (const [iso, text] of CASES) {
    it(`${iso} → ${text}`, async () => assert.deepEqual(await t.rows(`SELECT ${intervalSql(lit(iso))} AS v`), [{ v: text }]));
  }
});

describe('castSql parses wide decimals exactly (and fast)', () => {
  const CASES: [string, string[]][] = [
    ['DECIMAL(38,6)', ['0', '-0.5', '123.4', '-99999999999999999999999999999999.999999', '12345678901234567890123456789012.000001']],
    ['DECIMAL(38,0)', ['0', '-170141183460469231731687303715884105', '99999999999999999999999999999999999999']],
    ['DECIMAL(38,38)', ['0.00000000000000000000000000000000000001', '-0.99999999999999999999999999999999999999']],
    ['DECIMAL(20,6)', ['12345678901234.123456', '-99999999999999.999999']],
    ['DECIMAL(10,2)', ['1.5', '-99999999.99']],
  ];
  for (const [type, values] of CASES) {
    it(`${type}: ${values.length} values as DuckDB's own cast reads them`, async () => {
      const rows = await t.rows(`SELECT CAST(${castSql('v', type)} AS VARCHAR) AS fast, CAST(CAST(v AS ${type}) AS VARCHAR) AS slow, typeof(${castSql('v', type)}) AS t
        FROM (VALUES ${values.map((v) => `(${lit(v)})`).join(', ')}) x(v)`);
      for (const r of rows) assert.equal(r.fast, r.slow);
      assert.deepEqual([...new Set(rows.map((r) => r.t))], [type]);
    });
  }
  it('lists of decimals, element by element', async () => {
    const [row] = await t.rows(`SELECT CAST(${castSql('v', 'DECIMAL(38,2)[][]')} AS VARCHAR) AS v FROM (SELECT [['1.5', NULL], ['-2.25']] AS v)`);
    assert.equal(row!.v, '[[1.50, NULL], [-2.25]]');
  });
});

describe('pgTypeOf: the column types of a created table', () => {
  const CASES: [string, string][] = [
    ['DECIMAL(10,2)', 'numeric(10,2)'], ['DECIMAL(38,6)', 'numeric'], ['UBIGINT', 'numeric(20,0)'], ['HUGEINT', 'numeric(39,0)'],
    ['TIMESTAMP_NS', 'timestamp'], ['TIMESTAMP WITH TIME ZONE', 'timestamptz'], ['INTERVAL', 'interval'], ['BLOB', 'bytea'], ['JSON', 'jsonb'],
    ['INTEGER[]', 'integer[]'], ['INTEGER[3]', 'integer[]'], ['VARCHAR[]', 'text[]'], ['DECIMAL(5,2)[]', 'numeric(5,2)[]'], ['INTEGER[][]', 'jsonb'],
    ['JSON[]', 'jsonb'], ['STRUCT(a INTEGER)[]', 'jsonb'], ['STRUCT(a INTEGER, b VARCHAR[])', 'jsonb'], ['MAP(VARCHAR, INTEGER)', 'jsonb'],
    ["ENUM('a', 'b')", 'text'], ['UNION(n INTEGER, s VARCHAR)', 'jsonb'], ['BIT', 'bit varying'], ['GEOMETRY', 'text'],
  ];
  for (const [duck, pg] of CASES) it(`${duck} → ${pg}`, () => assert.equal(pgTypeOf(duck), pg));
});
