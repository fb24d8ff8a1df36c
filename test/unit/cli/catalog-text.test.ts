/**
 * How `ferry catalog show` and `diff` print statistics: min and max exactly as recorded (a value,
 * not a rounding of it, so a changed max never prints as the same number twice); means rounded.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { showText, diffText, table } from '../../../src/cli/catalog-text.js';
import type { CatalogEntry } from '../../../src/catalog/entry.js';

const entry: CatalogEntry = {
  format: 1, pipeline: 'shop', dataset: 'items', version: 'v1',
  run: { key: 'v1', time: '2024-01-05T00:00:00.000Z', date: '2024-01-05', trigger: 'cli', runId: 'r' },
  status: 'completed', recordedAt: '2024-01-05T00:00:01.000Z', stage: 'ingest', uri: '/s/shop/v1/ingest/items.parquet',
  rows: 2, bytes: 10, sha256: 'ab'.repeat(32), columns: [{ name: 'amt', type: 'DECIMAL(18,4)' }, { name: 'x', type: 'DOUBLE' }],
  profile: { rows: 2, columns: [
    { name: 'amt', type: 'DECIMAL(18,4)', nulls: 0, null_ratio: 0, distinct: 2, mean: 6172839450617.783, min: 1.5, max: '12345678901234.5678' },
    { name: 'x', type: 'DOUBLE', nulls: 0, null_ratio: 0, distinct: 2, mean: 0.123456789, min: 0.123456789, max: 1234567.25 },
  ] },
  lineage: { sources: ['items (file)'], steps: [] }, delivered: [], stages: [],
};

test('show prints min and max in full, the mean to 6 digits', () => {
  const lines = showText(entry, { pins: new Set(), inUse: new Map() }, undefined, 0).split('\n');
  const at = lines.indexOf('schema and profile');
  assert.deepEqual(lines.slice(at + 1, at + 4), [
    '  COLUMN  TYPE           NULLS  DISTINCT  MIN          MAX                  MEAN',
    '  amt     DECIMAL(18,4)  0      2         1.5          12345678901234.5678  6172840000000',
    '  x       DOUBLE         0      2         0.123456789  1234567.25           0.123457',
  ]);
});

test('diff prints a changed max in full, so from and to differ', () => {
  const text = diffText('shop', 'items', 'v1', 'v2', {
    schema: { added: [], removed: [], retyped: [] }, rows: { from: 2, to: 2 },
    stats: [{ column: 'amt', stat: 'max', from: 12345678901234.568, to: 12345678901234.57 }, { column: 'amt', stat: 'mean', from: 2.123456789, to: 2.5 }],
  }, undefined);
  const lines = text.split('\n');
  const at = lines.indexOf('statistics');
  assert.deepEqual(lines.slice(at + 1, at + 4), [
    '  COLUMN  STAT  FROM                TO',
    '  amt     max   12345678901234.568  12345678901234.57',
    '  amt     mean  2.12346             2.5',
  ]);
});

test('a value never breaks the table: tabs and line breaks escaped, the text null quoted, NULL bare', () => {
  assert.deepEqual(table(['id', 'note'], [[1, 'a\tb\nc'], [2, 'null'], [3, null], [4, 'C:\\tmp']]), [
    '  id  note',
    '  1   a\\tb\\nc',
    "  2   'null'",
    '  3   null',
    '  4   C:\\\\tmp',
  ]);
});
