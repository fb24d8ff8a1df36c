/**
 * The postgres sink against the real PostgreSQL: table creation with mapped types, append that a
 * retry cannot duplicate, upsert, replace, and NULL kept apart from ''.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { postgresSink } from '../../../activities/sinks/postgres.js';
import type { SinkContext } from '../../../activities/adapter.js';
import { TableEngine } from '../../../src/table/engine.js';
import { resolveConnection } from '../../../src/connect/connections.js';
import { loadConnections } from '../../../src/pipeline/load.js';
import { pgPool, closePgPools } from '../../../src/connect/pg.js';
import { FerryError } from '../../../src/errors.js';
import { testEnv, randomId } from '../../support/harness.js';

const schema = `ferry_sink_${randomId()}`;
let workdir: string;
let table: TableEngine;
let conn: ReturnType<typeof resolveConnection<'postgres'>>;
const sql = async (text: string) => (await pgPool(conn).query(text)).rows as Record<string, unknown>[];

before(async () => {
  testEnv();
  conn = resolveConnection(await loadConnections('config/connections.yaml'), 'warehouse', 'postgres');
  workdir = await mkdtemp(join(tmpdir(), 'ferry-sink-'));
  table = await TableEngine.open(workdir);
  await table.run(`CREATE TABLE items AS SELECT * FROM (VALUES
    (1, 'apple', 1.50::DECIMAL(10,2), DATE '2024-01-05', TRUE),
    (2, '', 2.25::DECIMAL(10,2), NULL, FALSE),
    (3, NULL, NULL, DATE '2024-01-07', NULL)) t(id, name, price, day, fresh)`);
});

after(async () => {
  await sql(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  table.close();
  await rm(workdir, { recursive: true, force: true });
  await closePgPools();
});

const ctx = (runKey: string): SinkContext => ({
  workdir, table, sink: 'db', dataset: 'items', rows: 3, runKey, resume: undefined,
  connections: {}, signal: new AbortController().signal, progress: () => undefined,
  connection: () => conn,
}) as unknown as SinkContext;

const spec = (extra: Record<string, unknown>) => postgresSink.schema.parse({ type: 'postgres', connection: 'warehouse', input: 'items', table: `${schema}.items`, ...extra });
const rows = () => sql(`SELECT id, name, price, to_char(day, 'YYYY-MM-DD') AS day, fresh FROM ${schema}.items ORDER BY id`);
const EXPECTED = [
  { id: 1, name: 'apple', price: '1.50', day: '2024-01-05', fresh: true },
  { id: 2, name: '', price: '2.25', day: null, fresh: false },
  { id: 3, name: null, price: null, day: '2024-01-07', fresh: null },
];

test('append creates the table with mapped types and keeps NULL apart from empty text', async () => {
  const result = await postgresSink.write(spec({ mode: 'append' }), ctx('run-a'));
  assert.deepEqual(result, { target: `postgres ${schema}.items`, rows: 3, detail: 'append' });
  const types = await sql(`SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = '${schema}' AND table_name = 'items' ORDER BY ordinal_position`);
  assert.deepEqual(types.map((t) => [t.column_name, t.data_type]), [['id', 'integer'], ['name', 'text'], ['price', 'numeric'], ['day', 'date'], ['fresh', 'boolean']]);
  assert.deepEqual(await rows(), EXPECTED);
});

test('a retry of an append that already committed loads nothing twice', async () => {
  const result = await postgresSink.write(spec({ mode: 'append' }), ctx('run-a'));
  assert.equal(result.detail, 'already loaded by an earlier attempt');
  assert.deepEqual(await rows(), EXPECTED);
});

test('replace swaps the content atomically; upsert updates by key', async () => {
  await postgresSink.write(spec({ mode: 'replace' }), ctx('run-b'));
  assert.deepEqual(await rows(), EXPECTED);
  await sql(`DROP TABLE ${schema}.items`);
  await postgresSink.write(spec({ mode: 'upsert', keys: ['id'] }), ctx('run-c'));
  await sql(`UPDATE ${schema}.items SET name = 'stale' WHERE id = 1`);
  await postgresSink.write(spec({ mode: 'upsert', keys: ['id'] }), ctx('run-d'));
  assert.deepEqual(await rows(), EXPECTED);
});

test('upsert refuses duplicate keys with the key and its count', async () => {
  await table.run(`CREATE TABLE dup AS SELECT * FROM items UNION ALL SELECT * FROM items WHERE id = 2`);
  const c = { ...ctx('run-e'), dataset: 'dup', rows: 4 } as SinkContext;
  const err = await postgresSink.write(spec({ mode: 'upsert', keys: ['id'], input: 'dup' }), c).then(() => assert.fail('should fail'), (e: unknown) => e);
  assert.ok(err instanceof FerryError);
  assert.equal(err.code, 'DATA');
  assert.equal(err.message, 'upsert keys must be unique, but (id) = (2) occurs 2 times; add a dedupe step');
});

test('text CSV must quote arrives exactly without FORCE_QUOTE; a lone column of `\\.` is not the end-of-data marker', async () => {
  const tricky = ['', ' a ', 'a,b', 'a"b', 'a\nb', 'a\rb', '\\.', '\\.\n', '\t', 'é', 'NULL'];
  await table.run(`CREATE OR REPLACE TABLE tricky AS SELECT * FROM (VALUES ${tricky.map((v, i) => `(${i}, '${v.replace(/'/g, "''")}')`).join(', ')}, (${tricky.length}, NULL)) t(id, s)`);
  const tctx = (runKey: string, dataset: string) => ({ ...ctx(runKey), dataset }) as SinkContext;
  const tspec = (name: string, input: string) => postgresSink.schema.parse({ type: 'postgres', connection: 'warehouse', input, table: `${schema}.${name}` });
  await postgresSink.write(tspec('tricky', 'tricky'), tctx('run-t', 'tricky'));
  assert.deepEqual((await sql(`SELECT s FROM ${schema}.tricky ORDER BY id`)).map((r) => r.s), [...tricky, null]);
  // One column: every line is a lone value, so `\.` must be quoted (PostgreSQL would stop there).
  await table.run(`CREATE OR REPLACE TABLE lone AS SELECT s FROM tricky ORDER BY id`);
  await postgresSink.write(tspec('lone', 'lone'), tctx('run-l', 'lone'));
  assert.deepEqual((await sql(`SELECT s FROM ${schema}.lone`)).map((r) => r.s).sort(), [...tricky, null].sort());
});
