/**
 * Staging is exact: what Parquet cannot hold (128-bit integers, intervals, zoned times) is staged as
 * DECIMAL(38,0) or exact text, and reads back as the same value.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TableEngine } from '../../../src/table/engine.js';
import { stagedType } from '../../../src/table/parquet-types.js';

let dir: string;
let table: TableEngine;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-parquet-'));
  table = await TableEngine.open(dir);
});
after(async () => {
  table.close();
  await rm(dir, { recursive: true, force: true });
});

/** Every value as DuckDB's own text, so a DOUBLE that lost digits cannot pass for the original. */
const asText = async (dataset: string, columns: string[]) =>
  table.rows(`SELECT ${columns.map((c) => `CAST("${c}" AS VARCHAR) AS "${c}"`).join(', ')} FROM "${dataset}" ORDER BY id`);

test('128-bit integers, intervals and zoned times keep their exact value through staging', async () => {
  await table.run(`CREATE TABLE t AS SELECT * FROM (VALUES
    (1, 18446744073709551617::HUGEINT, 340282366920938463463374607431768211::UHUGEINT, INTERVAL '1 day 2 hours 3.000004 seconds', TIMETZ '12:00:00+05', [9007199254740993::HUGEINT], {'d': -INTERVAL '3 seconds'}),
    (2, -99999999999999999999999999999999999999::HUGEINT, NULL, -INTERVAL '1 month 1 microsecond', TIMETZ '23:59:59.999999-03:30', [], NULL)
  ) v(id, h, uh, i, tz, lh, s)`);
  const columns = ['h', 'uh', 'i', 'tz', 'lh', 's'];
  const before = await asText('t', columns);
  const stats = await table.exportParquet('t', join(dir, 'staged.parquet'));
  await table.loadParquet('back', join(dir, 'staged.parquet'));
  assert.deepEqual(await asText('back', columns), before);
  assert.deepEqual(stats.columns.map((c) => c.type), ['INTEGER', 'DECIMAL(38,0)', 'DECIMAL(38,0)', 'VARCHAR', 'VARCHAR', 'DECIMAL(38,0)[]', 'STRUCT(d VARCHAR)']);
});

test('a 128-bit integer beyond 38 digits is staged as its exact text', async () => {
  await table.run(`CREATE TABLE big AS SELECT 1 AS id, 170141183460469231731687303715884105727::HUGEINT AS h`);
  const stats = await table.exportParquet('big', join(dir, 'big.parquet'));
  await table.loadParquet('big_back', join(dir, 'big.parquet'));
  assert.deepEqual(await asText('big_back', ['h']), [{ h: '170141183460469231731687303715884105727' }]);
  assert.deepEqual(stats.columns.map((c) => c.type), ['INTEGER', 'VARCHAR']);
});

test('stagedType leaves TIMESTAMP WITH TIME ZONE and everything Parquet holds alone', () => {
  for (const type of ['TIMESTAMP WITH TIME ZONE', 'BIGINT', 'UBIGINT', 'DECIMAL(20,6)', 'VARCHAR[]', 'STRUCT(a INTEGER)', 'TIME']) assert.equal(stagedType(type, 'decimal'), type);
  assert.equal(stagedType('MAP(VARCHAR, HUGEINT)', 'text'), 'MAP(VARCHAR, VARCHAR)');
});
