import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TableEngine } from '../../../src/table/engine.js';
import { LocalStagingStore } from '../../../src/staging/store.js';
import { applyWindow, maxCandidate, resolveWindowRefs, sqlLiteral, windowFor } from '../../../src/state/window.js';
import { advanceWatermark } from '../../../src/state/store.js';
import { loadPipeline, SpecError } from '../../../src/pipeline/load.js';

const run = { key: 'r', time: '2024-01-05T00:00:00Z', date: '2024-01-05', timezone: 'UTC', trigger: 'cli' as const };

async function withTable(fn: (t: TableEngine, dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-window-'));
  const t = await TableEngine.open(dir);
  try {
    await fn(t, dir);
  } finally {
    t.close();
    await rm(dir, { recursive: true, force: true });
  }
}

test('the window: watermark minus lookback, else initial, else everything', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-window-'));
  const store = new LocalStagingStore(dir);
  try {
    assert.deepEqual(await windowFor(store, 'shop', 'orders', { cursor: 'updated_at' }, run), { cursor: 'updated_at' });
    assert.deepEqual(await windowFor(store, 'shop', 'orders', { cursor: 'updated_at', initial: '2024-01-01' }, run), { cursor: 'updated_at', start: '2024-01-01' });
    await advanceWatermark(store, { pipeline: 'shop', source: 'orders', cursor: 'updated_at' }, '2024-01-05T10:00:00.000000Z', 'timestamptz', 'r0', 't');
    assert.deepEqual(await windowFor(store, 'shop', 'orders', { cursor: 'updated_at', initial: '2024-01-01', lookback: '1h' }, run),
      { cursor: 'updated_at', type: 'timestamptz', watermark: '2024-01-05T10:00:00.000000Z', start: '2024-01-05T09:00:00.000000Z' });
    await assert.rejects(windowFor(store, 'shop', 'orders', { cursor: 'id' }, run), /stored watermark .* is of cursor updated_at/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('applyWindow keeps rows after the start and returns the exact greatest cursor (timestamptz, microseconds)', () => withTable(async (t) => {
  await t.run(`CREATE TABLE orders AS SELECT * FROM (VALUES (1, TIMESTAMPTZ '2024-01-05 09:00:00+00'), (2, TIMESTAMPTZ '2024-01-05 10:00:00.000001+00'), (3, TIMESTAMPTZ '2024-01-05 12:30:00.123456+02')) v(id, updated_at)`);
  const c = await applyWindow(t, 'orders', { cursor: 'updated_at', start: '2024-01-05T09:00:00.000000Z' });
  assert.deepEqual(c, { cursor: 'updated_at', start: '2024-01-05T09:00:00.000000Z', type: 'timestamptz', to: '2024-01-05T10:30:00.123456Z' });
  assert.deepEqual((await t.rows('SELECT id FROM orders ORDER BY id')).map((r) => r.id), [2, 3]);
}));

test('applyWindow on numbers (bigint beyond 2^53), dates and text', () => withTable(async (t) => {
  await t.run(`CREATE TABLE n AS SELECT * FROM (VALUES (9007199254740991::BIGINT), (9007199254740993::BIGINT)) v(seq)`);
  assert.equal((await applyWindow(t, 'n', { cursor: 'seq', start: '9007199254740991' })).to, '9007199254740993');
  assert.equal(await t.count('n'), 1);
  await t.run(`CREATE TABLE d AS SELECT * FROM (VALUES (DATE '2024-01-04'), (DATE '2024-01-06')) v(day)`);
  assert.deepEqual(await applyWindow(t, 'd', { cursor: 'day', start: '2024-01-04' }), { cursor: 'day', start: '2024-01-04', type: 'date', to: '2024-01-06' });
  await t.run(`CREATE TABLE s AS SELECT * FROM (VALUES ('2024-01-04T00:00:00Z'), ('2024-01-05T00:00:00Z')) v(ts)`);
  assert.deepEqual(await applyWindow(t, 's', { cursor: 'ts' }), { cursor: 'ts', type: 'text', to: '2024-01-05T00:00:00Z' });
  await t.run(`CREATE TABLE e AS SELECT * FROM (VALUES (1)) v(seq)`);
  assert.deepEqual(await applyWindow(t, 'e', { cursor: 'seq', start: '5' }), { cursor: 'seq', start: '5', type: 'number' });
  assert.equal(await t.count('e'), 0);
}));

test('applyWindow: an adapter cursor (s3 key) that found nothing new keeps the watermark', () => withTable(async (t) => {
  await t.run(`CREATE TABLE empty AS SELECT 1 AS n WHERE false`);
  const window = { cursor: 'key', type: 'text' as const, watermark: 'in/2024-01-03.csv', start: 'in/2024-01-03.csv' };
  assert.deepEqual(await applyWindow(t, 'empty', window, null), { ...window });
  assert.deepEqual(await applyWindow(t, 'empty', { cursor: 'last_modified' }, null), { cursor: 'last_modified', type: 'timestamptz' });
}));

test('applyWindow: a missing cursor column, NULL cursors and a bad start are clear errors', () => withTable(async (t) => {
  await t.run(`CREATE TABLE o AS SELECT * FROM (VALUES (1, NULL::TIMESTAMP)) v(id, updated)`);
  await assert.rejects(applyWindow(t, 'o', { cursor: 'updated_at' }), /incremental cursor updated_at is not a column of source o \(columns: id, updated\)/);
  await assert.rejects(applyWindow(t, 'o', { cursor: 'updated' }), /1 row of source o have no updated \(NULL\)/);
  await assert.rejects(applyWindow(t, 'o', { cursor: 'id', start: 'yesterday' }), /start "yesterday" is not a INTEGER/);
  // A watermark stored as another type (ferry state set --type) fails the read, before any sink gets the rows.
  await t.run(`CREATE TABLE k AS SELECT * FROM (VALUES ('k000100')) v(code)`);
  await assert.rejects(applyWindow(t, 'k', { cursor: 'code', type: 'number', watermark: '5', start: '5' }), /stored watermark of source k is a number \(5\) but its cursor code is a text: move it with ferry state set --type text/);
  await t.run(`CREATE TABLE d AS SELECT * FROM (VALUES (DATE '2024-01-04'), (DATE '2024-01-06')) v(day)`);
  assert.equal((await applyWindow(t, 'd', { cursor: 'day', type: 'timestamptz', watermark: '2024-01-05T00:00:00.000000Z', start: '2024-01-05T00:00:00.000000Z' })).to, '2024-01-06');
  // s3: the adapter's watermark when the cursor is not a column.
  assert.deepEqual(await applyWindow(t, 'o', { cursor: 'key' }, 'raw/2024-01-05.csv'), { cursor: 'key', type: 'text', to: 'raw/2024-01-05.csv' });
}));

test('${incremental.start} becomes a quoted SQL literal in a postgres query, plain text elsewhere', () => {
  const window = { cursor: 'updated_at', start: "2024-01-05T09:00:00.000000Z" };
  const pg = resolveWindowRefs({ type: 'postgres', query: 'SELECT * FROM t WHERE updated_at > ${incremental.start}', params: ['${incremental.watermark}'] }, window);
  assert.deepEqual(pg, { type: 'postgres', query: "SELECT * FROM t WHERE updated_at > '2024-01-05T09:00:00.000000Z'", params: ['2024-01-05T09:00:00.000000Z'] });
  const http = resolveWindowRefs({ type: 'http', path: '/since/${incremental.start}', query: { since: '${incremental.start}' } }, { cursor: 'c', start: 'a b/c' });
  assert.deepEqual(http, { type: 'http', path: '/since/a%20b%2Fc', query: { since: 'a b/c' } });
  assert.equal(sqlLiteral("x' OR '1'='1"), "'x'' OR ''1''=''1'");
  assert.equal(sqlLiteral("a\\'; DROP"), "E'a\\\\''; DROP'");
  assert.throws(() => resolveWindowRefs({ type: 'postgres', query: '${incremental.start}' }, undefined), /needs incremental:/);
  assert.throws(() => resolveWindowRefs({ type: 'postgres', query: '${incremental.end}' }, window), /unknown reference \$\{incremental.end\}/);
});

test('maxCandidate keeps the greater watermark of two parts', () => {
  const a = { cursor: 'c', type: 'number' as const, to: '9' };
  const b = { cursor: 'c', type: 'number' as const, to: '10' };
  assert.equal(maxCandidate(a, b)!.to, '10');
  assert.equal(maxCandidate(b, { cursor: 'c' })!.to, '10');
  assert.equal(maxCandidate(undefined, a)!.to, '9');
});

test('ferry validate: ${incremental.…} needs incremental: and initial, a known name, and lookback may not feed an append sink', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-window-'));
  try {
    await mkdir(join(dir, 'pipelines'));
    await writeFile(join(dir, 'connections.yaml'), 'wh: { type: postgres, host: 127.0.0.1, database: d, user: u }\n');
    const file = join(dir, 'pipelines', 'p.yaml');
    await writeFile(file, `name: p
sources:
  a: { type: postgres, connection: wh, query: 'SELECT 1 WHERE x > \${incremental.start}' }
  b: { type: postgres, connection: wh, query: 'SELECT \${incremental.end}', incremental: { cursor: x, initial: 1 } }
  c: { type: postgres, connection: wh, query: 'SELECT \${incremental.start}', incremental: { cursor: x } }
  d: { type: postgres, connection: wh, query: 'SELECT 1', incremental: { cursor: x, lookback: 10 } }
sinks:
  out: { type: postgres, connection: wh, input: d, table: s.t, mode: append }
  ok: { type: postgres, connection: wh, input: d, table: s.u, mode: upsert, keys: [x] }
`);
    const err = await loadPipeline(file).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof SpecError);
    const messages = err.issues.map((i) => `${i.path}: ${i.message}`);
    assert.deepEqual(messages, [
      'sources.a.query: ${incremental.start} needs incremental: { cursor: … } on this source',
      'sources.b.query: unknown reference ${incremental.end}: expected one of ${incremental.start}, ${incremental.watermark}',
      'sources.c.query: ${incremental.start} needs incremental.initial: the first run has no watermark to put here',
      'sources.d.incremental.lookback: lookback re-reads rows an earlier run delivered, and sink out would append them again: use mode: upsert (with keys) there, or drop lookback',
    ]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
