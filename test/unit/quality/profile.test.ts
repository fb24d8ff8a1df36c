/**
 * A profile's min/max are exact: a BIGINT beyond 2^53 or a DECIMAL with more digits than a double
 * holds is kept as its exact text (the catalog shows and diffs it), others as numbers; anomaly
 * rules read either. And the whole profile of a small table: rows, NULLs and their share, distinct
 * values, mean/min/max (dates and text as text, nested values counted only).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { profileOf } from '../../../src/quality/profile.js';
import { metricOf } from '../../../src/quality/rules/anomaly.js';
import { openEngine, table } from './support.js';

test('min and max a double cannot hold exactly are kept as exact text', async () => {
  const { engine, close } = await openEngine();
  try {
    await table(engine, 't', 'big, amt, small, f', `
      (9007199254740993::BIGINT, 12345678901234.5678::DECIMAL(18,4), 3::INTEGER, 0.1::DOUBLE),
      ('-9223372036854775808'::BIGINT, -99999999999999.9999::DECIMAL(18,4), -2::INTEGER, 2.5::DOUBLE),
      (7::BIGINT, 1.5::DECIMAL(18,4), 1::INTEGER, NULL)`);
    const p = await profileOf(engine, 't');
    const col = (name: string) => p.columns.find((c) => c.name === name)!;
    assert.deepEqual([col('big').min, col('big').max], ['-9223372036854775808', '9007199254740993']);
    assert.deepEqual([col('amt').min, col('amt').max], ['-99999999999999.9999', '12345678901234.5678']);
    // What a double holds exactly stays a number (1.5000 is 1.5).
    await table(engine, 'u', 'amt, big', '(1.5::DECIMAL(18,4), 42::BIGINT), (-0.25::DECIMAL(18,4), 9007199254740991::BIGINT)');
    const q = await profileOf(engine, 'u');
    assert.deepEqual(q.columns.map((c) => [c.min, c.max]), [[-0.25, 1.5], [42, 9007199254740991]]);
    assert.deepEqual([col('small').min, col('small').max, col('f').min, col('f').max], [-2, 3, 0.1, 2.5]);
    // Anomaly rules compare them as numbers.
    assert.equal(metricOf(p, { metric: 'max', column: 'amt' }), Number('12345678901234.5678'));
    assert.equal(metricOf(p, { metric: 'min', column: 'big' }), -(2 ** 63));
  } finally {
    await close();
  }
});

test('rows, NULLs and their share, distinct values, mean/min/max per column', async (t) => {
  const { engine, close } = await openEngine();
  t.after(close);
  await engine.run(`CREATE TABLE prof AS SELECT * FROM (VALUES
    (1, 'b', DATE '2024-01-02', [1]), (2, NULL, DATE '2024-01-01', [2]), (3, 'a', NULL, NULL), (NULL, 'a', DATE '2024-01-03', [3])
  ) v(n, s, d, l)`);
  assert.deepEqual(await profileOf(engine, 'prof'), {
    rows: 4,
    columns: [
      { name: 'n', type: 'INTEGER', nulls: 1, null_ratio: 0.25, distinct: 3, mean: 2, min: 1, max: 3 },
      { name: 's', type: 'VARCHAR', nulls: 1, null_ratio: 0.25, distinct: 2, min: 'a', max: 'b' },
      { name: 'd', type: 'DATE', nulls: 1, null_ratio: 0.25, distinct: 3, min: '2024-01-01', max: '2024-01-03' },
      { name: 'l', type: 'INTEGER[]', nulls: 1, null_ratio: 0.25, distinct: 0 },
    ],
  });
});

test('an empty table: no rows, a NULL share of 0 (not NaN)', async (t) => {
  const { engine, close } = await openEngine();
  t.after(close);
  await engine.run('CREATE TABLE prof_empty (n INTEGER, s VARCHAR)');
  assert.deepEqual(await profileOf(engine, 'prof_empty'), {
    rows: 0,
    columns: [
      { name: 'n', type: 'INTEGER', nulls: 0, null_ratio: 0, distinct: 0 },
      { name: 's', type: 'VARCHAR', nulls: 0, null_ratio: 0, distinct: 0 },
    ],
  });
});
