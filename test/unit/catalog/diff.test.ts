/** Diffs: schema (added, removed, retyped), statistics from profiles, and rows by key with examples. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TableEngine } from '../../../src/table/engine.js';
import { diffSchema, diffStats, diffRows } from '../../../src/catalog/diff.js';

test('schema: added, removed and retyped columns', () => {
  assert.deepEqual(diffSchema(
    [{ name: 'id', type: 'INTEGER' }, { name: 'amount', type: 'DECIMAL(10,2)' }, { name: 'old', type: 'VARCHAR' }],
    [{ name: 'id', type: 'INTEGER' }, { name: 'amount', type: 'DOUBLE' }, { name: 'new', type: 'DATE' }],
  ), { added: [{ name: 'new', type: 'DATE' }], removed: [{ name: 'old', type: 'VARCHAR' }], retyped: [{ name: 'amount', from: 'DECIMAL(10,2)', to: 'DOUBLE' }] });
});

test('statistics: only what changed, per column both have', () => {
  const col = (over: object) => ({ name: 'amount', type: 'DOUBLE', nulls: 0, null_ratio: 0, distinct: 3, mean: 2, min: 1, max: 3, ...over });
  assert.deepEqual(diffStats([col({})], [col({ nulls: 1, null_ratio: 0.25, max: 9 }), col({ name: 'other' })]), [
    { column: 'amount', stat: 'nulls', from: 0, to: 1 },
    { column: 'amount', stat: 'null_ratio', from: 0, to: 0.25 },
    { column: 'amount', stat: 'max', from: 3, to: 9 },
  ]);
});

test('rows by key: exact added, removed, changed and unchanged, with examples; a repeated key is refused', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-diff-'));
  const t = await TableEngine.open(dir);
  try {
    await t.run(`CREATE TABLE a AS SELECT * FROM (VALUES (1, 'a', 10.5), (2, 'b', 20.0), (3, 'c', NULL)) v(id, name, amount)`);
    await t.run(`CREATE TABLE b AS SELECT * FROM (VALUES (2, 'B', 20.0), (3, 'c', 1.0), (4, 'd', 4.0), (5, 'e', NULL)) v(id, name, amount)`);
    const d = await diffRows(t, 'a', 'b', ['id'], 1);
    assert.deepEqual({ ...d, examples: undefined }, { key: ['id'], added: 2, removed: 1, changed: 2, unchanged: 0, examples: undefined });
    assert.deepEqual(d.examples.added, [{ id: '4', name: 'd', amount: '4.0' }]);
    assert.deepEqual(d.examples.removed, [{ id: '1', name: 'a', amount: '10.5' }]);
    assert.deepEqual(d.examples.changed, [{ key: { id: '2' }, changes: [{ column: 'name', before: 'b', after: 'B' }] }]);
    await t.run(`CREATE TABLE c AS SELECT * FROM (VALUES (1, 'x'), (1, 'y')) v(id, name)`);
    await assert.rejects(diffRows(t, 'a', 'c', ['id'], 5, { c: 'run-3' }), /key id is not unique in version run-3: 1 key value repeat/);
    await assert.rejects(diffRows(t, 'a', 'b', ['nope'], 5), /key column nope is not in both versions/);
    // A retyped numeric column compares as values (4.00 → 4.0 is no change); a number against text compares as text.
    await t.run(`CREATE TABLE n1 AS SELECT * FROM (VALUES (1, 4.00::DECIMAL(4,2), 7), (2, 2.25::DECIMAL(4,2), 8)) v(id, amount, code)`);
    await t.run(`CREATE TABLE n2 AS SELECT * FROM (VALUES (1, 4.0::DECIMAL(3,1), '7'), (2, 2.5::DECIMAL(3,1), '08')) v(id, amount, code)`);
    const n = await diffRows(t, 'n1', 'n2', ['id'], 5);
    assert.deepEqual([n.changed, n.unchanged, n.examples.changed], [1, 1, [{ key: { id: '2' }, changes: [{ column: 'amount', before: '2.25', after: '2.5' }, { column: 'code', before: '8', after: '08' }] }]]);
  } finally {
    t.close();
    await rm(dir, { recursive: true, force: true });
  }
});
