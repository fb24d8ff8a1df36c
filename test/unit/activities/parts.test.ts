/** Combining the parts of a fanned-out source never changes a value's text on the way. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { refuseTextWidening } from '../../../activities/parts.js';
import type { DatasetRef } from '../../../src/run.js';

const part = (uri: string, columns: [string, string][]): DatasetRef =>
  ({ dataset: 'sales', stage: 'ingest', uri, rows: 1, bytes: 1, sha256: '', columns: columns.map(([name, type]) => ({ name, type })) });

test('a column typed in one part and text in another is refused, naming the column, the types and the parts', () => {
  const parts = [part('s/p/ingest/sales.p0.parquet', [['id', 'BIGINT'], ['amount', 'DOUBLE']]), part('s/p/ingest/sales.p1.parquet', [['id', 'BIGINT'], ['amount', 'VARCHAR']])];
  assert.throws(() => refuseTextWidening(parts), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'DATA');
    assert.match(err.message, /^column amount is DOUBLE in sales\.p0\.parquet, VARCHAR in sales\.p1\.parquet: .* columns: \{ amount: VARCHAR \}$/);
    return true;
  });
});

test('numeric widening (BIGINT here, DECIMAL there) and columns only some parts have are combined as before', () => {
  assert.doesNotThrow(() => refuseTextWidening([part('a', [['id', 'BIGINT'], ['n', 'INTEGER']]), part('b', [['id', 'DECIMAL(5,2)']])]));
});
