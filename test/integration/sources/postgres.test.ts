/**
 * The postgres source against the real PostgreSQL: types kept, rows streamed in batches through a
 * cursor, parameters, an empty result that still has its columns, and SQL mistakes as config errors.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { postgresSource } from '../../../activities/sources/postgres.js';
import type { Progress, SourceContext } from '../../../activities/adapter.js';
import { TableEngine } from '../../../src/table/engine.js';
import { resolveConnection } from '../../../src/connect/connections.js';
import { loadConnections } from '../../../src/pipeline/load.js';
import { pgPool, closePgPools } from '../../../src/connect/pg.js';
import { FerryError } from '../../../src/errors.js';
import { testEnv, randomId } from '../../support/harness.js';

const schema = `ferry_src_${randomId()}`;
let workdir: string;
let conn: ReturnType<typeof resolveConnection<'postgres'>>;

before(async () => {
  testEnv();
  conn = resolveConnection(await loadConnections('config/connections.yaml'), 'warehouse', 'postgres');
  workdir = await mkdtemp(join(tmpdir(), 'ferry-src-'));
  await pgPool(conn).query(`CREATE SCHEMA ${schema};
    CREATE TABLE ${schema}.items (id bigint, name text, price numeric(10,2), day date, at timestamp, ok boolean);
    INSERT INTO ${schema}.items VALUES
      (1, 'a', 1.50, '2024-01-05', '2024-01-05 10:00:00', true), (2, NULL, 2.25, NULL, NULL, false),
      (3, 'c', 99999999.99, '2024-01-07', '2024-01-07 23:59:59', NULL), (4, 'd', 0, '2024-02-29', '2024-02-29 00:00:00', true),
      (5, 'e', -3.10, '2023-12-31', '2023-12-31 12:30:00', false);`);
});
after(async () => {
  await pgPool(conn).query(`DROP SCHEMA ${schema} CASCADE`);
  await rm(workdir, { recursive: true, force: true });
  await closePgPools();
});

async function read(query: string, extra: Record<string, unknown> = {}) {
  const table = await TableEngine.open(await mkdtemp(join(workdir, 'a-')));
  const progress: Progress[] = [];
  const ctx = {
    workdir: table.workdir, table, dataset: 'items', runKey: 'r', resume: undefined, connections: {}, signal: new AbortController().signal,
    connection: () => conn, progress: (p: Progress) => progress.push(p), checkpoint: {},
  } as unknown as SourceContext;
  try {
    const result = await postgresSource.read(postgresSource.schema.parse({ type: 'postgres', connection: 'warehouse', query, ...extra }), ctx).catch((e: unknown) => e);
    if (result instanceof Error) return { error: result, progress };
    return { columns: await table.columns('items'), rows: await table.rows('SELECT * FROM items ORDER BY id'), progress };
  } finally {
    table.close();
  }
}

test('keeps PostgreSQL types and streams the rows in batches', async () => {
  const { columns, rows, progress } = await read(`SELECT * FROM ${schema}.items;`, { batch_size: 2 });
  assert.deepEqual(columns, [
    { name: 'id', type: 'BIGINT' }, { name: 'name', type: 'VARCHAR' }, { name: 'price', type: 'DECIMAL(10,2)' },
    { name: 'day', type: 'DATE' }, { name: 'at', type: 'TIMESTAMP' }, { name: 'ok', type: 'BOOLEAN' },
  ]);
  assert.deepEqual(progress.map((p) => p.rows), [2, 4, 5]);
  assert.deepEqual(rows!.map((r) => [r.id, r.name, r.price, (r.day as Date | null)?.toISOString().slice(0, 10) ?? null, r.ok]), [
    [1, 'a', 1.5, '2024-01-05', true],
    [2, null, 2.25, null, false],
    [3, 'c', 99999999.99, '2024-01-07', null],
    [4, 'd', 0, '2024-02-29', true],
    [5, 'e', -3.1, '2023-12-31', false],
  ]);
  assert.equal((rows![2]!.at as Date).toISOString(), '2024-01-07T23:59:59.000Z');
});

test('binds $1 parameters, and an empty result still has its columns', async () => {
  const some = await read(`SELECT id, name FROM ${schema}.items WHERE ok = $1 AND price > $2`, { params: [true, 1] });
  assert.deepEqual(some.rows, [{ id: 1, name: 'a' }]);
  const none = await read(`SELECT id, name FROM ${schema}.items WHERE id > $1`, { params: [100] });
  assert.deepEqual(none.columns, [{ name: 'id', type: 'BIGINT' }, { name: 'name', type: 'VARCHAR' }]);
  assert.deepEqual(none.rows, []);
});

test('a mistake in the query is a non-retryable config error that says what PostgreSQL said', async () => {
  const { error } = await read(`SELECT nope FROM ${schema}.items`);
  assert.ok(error instanceof FerryError);
  assert.equal(error.code, 'CONFIG');
  assert.equal(error.describe(), 'connection warehouse: PostgreSQL: column "nope" does not exist');
  const missing = await read(`SELECT * FROM ${schema}.missing`);
  assert.ok(missing.error instanceof FerryError);
  assert.equal(missing.error.code, 'NOT_FOUND');
});
