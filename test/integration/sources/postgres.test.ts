/**
 * The postgres source against the real PostgreSQL: types kept (sum/avg exact, json as JSON, arrays as
 * lists), duplicate column names and writing queries refused as config errors, rows copied with COPY … TO STDOUT, parameters, an empty result that still has its columns, and SQL mistakes as config errors.
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

async function read(query: string, extra: Record<string, unknown> = {}, select = 'SELECT * FROM items ORDER BY id') {
  const table = await TableEngine.open(await mkdtemp(join(workdir, 'a-')));
  const progress: Progress[] = [];
  const ctx = {
    workdir: table.workdir, table, dataset: 'items', runKey: 'r', resume: undefined, connections: {}, signal: new AbortController().signal,
    connection: () => conn, progress: (p: Progress) => progress.push(p), checkpoint: {},
  } as unknown as SourceContext;
  try {
    const result = await postgresSource.read(postgresSource.schema.parse({ type: 'postgres', connection: 'warehouse', query, ...extra }), ctx).catch((e: unknown) => e);
    if (result instanceof Error) return { error: result, progress };
    return { columns: await table.columns('items'), rows: await table.rows(select), progress };
  } finally {
    table.close();
  }
}

test('keeps PostgreSQL types and copies the rows (COPY TO STDOUT), reporting them', async () => {
  const { columns, rows, progress } = await read(`SELECT * FROM ${schema}.items;`, { batch_size: 2 });
  assert.deepEqual(columns, [
    { name: 'id', type: 'BIGINT' }, { name: 'name', type: 'VARCHAR' }, { name: 'price', type: 'DECIMAL(10,2)' },
    { name: 'day', type: 'DATE' }, { name: 'at', type: 'TIMESTAMP' }, { name: 'ok', type: 'BOOLEAN' },
  ]);
  assert.deepEqual(progress.filter((p) => p.rows !== undefined).map((p) => p.rows), [5]);
  assert.match(progress.at(-2)?.note ?? '', /^loading 0\.0 MB$/);
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

test('sum() and avg() stay exact decimals, never DOUBLE; what does not fit 38 digits stays exact text', async () => {
  const { columns, rows } = await read(`SELECT 1 AS id, sum(price) AS total, avg(price) AS mean, sum(id) AS ids, avg(id) AS mean_id,
    (SELECT sum(x) FROM (VALUES (12345678901234567890123456789012345678.5::numeric)) v(x)) AS wide FROM ${schema}.items`,
  {}, 'SELECT id, total::VARCHAR AS total, mean::VARCHAR AS mean, ids::VARCHAR AS ids, mean_id::VARCHAR AS mean_id, wide FROM items');
  assert.deepEqual(columns, [
    { name: 'id', type: 'INTEGER' }, { name: 'total', type: 'DECIMAL(38,2)' }, { name: 'mean', type: 'DECIMAL(38,12)' },
    { name: 'ids', type: 'DECIMAL(38,0)' }, { name: 'mean_id', type: 'DECIMAL(38,16)' }, { name: 'wide', type: 'VARCHAR' },
  ]);
  assert.ok(rows);
  const exact = await pgPool(conn).query(`SELECT sum(price)::text AS total, avg(price)::text AS mean, sum(id)::text AS ids, avg(id)::text AS mean_id FROM ${schema}.items`);
  assert.deepEqual(exact.rows, [{ total: '100000000.64', mean: '20000000.128000000000', ids: '15', mean_id: '3.0000000000000000' }]);
  assert.deepEqual(rows, [{ id: 1, ...exact.rows[0], wide: '12345678901234567890123456789012345678.5' }]);
});

test('a query returning a column name twice is a config error naming it', async () => {
  const { error } = await read(`SELECT i.id, j.id, i.name, j.name AS "NAME", i.price FROM ${schema}.items i JOIN ${schema}.items j USING (id)`);
  assert.ok(error instanceof FerryError);
  assert.equal(error.code, 'CONFIG');
  assert.equal(error.message, 'the query returns more than one column named "id", "name" and "NAME": name each column once (SELECT a.id AS a_id, b.id AS b_id …)');
});

test('a source query that writes is a config error (read-only transaction), not an outage to retry', async () => {
  await pgPool(conn).query(`CREATE SEQUENCE ${schema}.ids`);
  const { error } = await read(`SELECT nextval('${schema}.ids') AS id, name FROM ${schema}.items`);
  assert.ok(error instanceof FerryError);
  assert.equal(error.code, 'CONFIG');
  assert.equal(error.describe(), 'connection warehouse: PostgreSQL: cannot execute nextval() in a read-only transaction');
});

test('a statement that is not a query (INSERT … RETURNING, a data-modifying WITH) is refused as a config error saying so, and writes nothing', async () => {
  await pgPool(conn).query(`CREATE TABLE ${schema}.w (id int)`);
  for (const query of [`INSERT INTO ${schema}.w (id) VALUES (1) RETURNING id`, `  delete from ${schema}.w returning *`, `WITH x AS (INSERT INTO ${schema}.w (id) VALUES (2) RETURNING id) SELECT * FROM x`]) {
    const { error } = await read(query);
    assert.ok(error instanceof FerryError);
    assert.equal(error.code, 'CONFIG');
    assert.deepEqual([error.context.connection, error.context.field], ['warehouse', 'query']);
    const verb = query.trim().split(/\s/)[0]!.toUpperCase();
    assert.equal(error.message, verb === 'WITH'
      ? 'a source only reads: its query must not modify data (INSERT, UPDATE or DELETE inside WITH); PostgreSQL: DECLARE CURSOR must not contain data-modifying statements in WITH'
      : `a source only reads: its query must be a SELECT (or VALUES, TABLE, WITH … SELECT), not ${verb}`);
  }
  assert.deepEqual((await pgPool(conn).query(`SELECT count(*)::int AS n FROM ${schema}.w`)).rows, [{ n: 0 }]);
});

test('json and jsonb arrive as JSON values, arrays as lists', async () => {
  const { columns, rows } = await read(`SELECT 1 AS id, '{"a": 1}'::jsonb AS jb, '[1, "x"]'::json AS j, ARRAY['a', NULL] AS tags, ARRAY[1, 2] AS nums`);
  assert.deepEqual(columns, [
    { name: 'id', type: 'INTEGER' }, { name: 'jb', type: 'JSON' }, { name: 'j', type: 'JSON' }, { name: 'tags', type: 'VARCHAR[]' }, { name: 'nums', type: 'INTEGER[]' },
  ]);
  assert.deepEqual(rows, [{ id: 1, jb: '{"a": 1}', j: '[1, "x"]', tags: ['a', null], nums: [1, 2] }]);
});

test('types it does not know are looked up: an enum array is a list of text, a domain has its base type', async () => {
  await pgPool(conn).query(`CREATE TYPE ${schema}.mood AS ENUM ('sad', 'happy'); CREATE DOMAIN ${schema}.money2 AS numeric(5,2)`);
  const { columns, rows } = await read(`SELECT 1 AS id, ARRAY['happy', NULL]::${schema}.mood[] AS moods, 'sad'::${schema}.mood AS mood, 1.5::${schema}.money2 AS price`,
    {}, 'SELECT id, moods, mood, price::VARCHAR AS price FROM items');
  assert.deepEqual(columns, [{ name: 'id', type: 'INTEGER' }, { name: 'moods', type: 'VARCHAR[]' }, { name: 'mood', type: 'VARCHAR' }, { name: 'price', type: 'DECIMAL(5,2)' }]);
  assert.deepEqual(rows, [{ id: 1, moods: ['happy', null], mood: 'sad', price: '1.50' }]);
});
