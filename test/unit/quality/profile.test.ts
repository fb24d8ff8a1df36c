/**
 * A profile's min/max are exact: a BIGINT beyond 2^53 or a DECIMAL with more digits than a double
 * holds is kept as its exact text (the catalog shows and diffs it), others as numbers; anomaly
 * rules read either.
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
