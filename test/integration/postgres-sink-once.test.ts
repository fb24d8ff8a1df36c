/**
 * The postgres sink loads exactly once, even when it races: two sinks creating the same new
 * schema, two attempts of one sink loading at the same moment, a loader without any CREATE
 * privilege. Errors name the sink, the table, the row and the column; replace refuses to empty a
 * table from an empty input.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { pgAdapters } from '../support/pg-adapters.js';
import { randomId } from '../support/harness.js';
import { FerryError } from '../../src/errors.js';
import type { TableEngine } from '../../src/table/engine.js';

const s = `ferry_once_${randomId()}`;
const role = `ferry_loader_${randomId()}`;
const schemas: string[] = [s];
let pg: Awaited<ReturnType<typeof pgAdapters>>;

/** A fresh engine holding `items`: n rows of (id, label). */
async function items(n: number): Promise<TableEngine> {
  const t = await pg.engine();
  await t.run(`CREATE TABLE items AS SELECT i::BIGINT AS id, 'label ' || i AS label FROM range(1, ${n + 1}) r(i)`);
  return t;
}
const LOADS_DDL = (schema: string) => `CREATE TABLE IF NOT EXISTS ${schema}.ferry_loads (run_id text NOT NULL, sink text NOT NULL, target text, rows bigint,
  loaded_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (run_id, sink))`;
const failure = (p: Promise<unknown>) => p.then(() => assert.fail('should fail'), (e: unknown) => e as FerryError);

before(async () => {
  pg = await pgAdapters();
  await pg.sql(`CREATE SCHEMA ${s}`);
});

after(async () => {
  for (const name of schemas) await pg.sql(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
  await pg.sql(`DROP OWNED BY ${role}`).catch(() => undefined);
  await pg.sql(`DROP ROLE IF EXISTS ${role}`);
  await pg.close();
});

test('two sinks of one run creating the same new schema in parallel both succeed', async () => {
  const t = await items(100);
  for (let i = 0; i < 5; i++) {
    const fresh = `ferry_new_${randomId()}`;
    schemas.push(fresh);
    const results = await Promise.all([
      pg.write(t, { table: `${fresh}.left` }, { sink: 'left', runKey: 'r' }),
      pg.write(t, { table: `${fresh}.right` }, { sink: 'right', runKey: 'r' }),
    ]);
    assert.deepEqual(results.map((r) => r.detail), ['append', 'append']);
    assert.deepEqual(await pg.sql(`SELECT (SELECT count(*) FROM ${fresh}.left)::int AS l, (SELECT count(*) FROM ${fresh}.right)::int AS r,
      (SELECT string_agg(sink, ',' ORDER BY sink) FROM ${fresh}.ferry_loads) AS loads`), [{ l: 100, r: 100, loads: 'left,right' }]);
  }
});

test('an attempt presumed dead that commits while its retry runs: the rows are loaded once, both succeed', async () => {
  // ferry_loads exists already: what is tested is the claim, not the catalog.
  await pg.sql(`CREATE TABLE ${s}.events (id bigint, label text); ${LOADS_DDL(s)}`);
  for (let i = 0; i < 3; i++) {
    const runKey = `run-${randomId()}`;
    const [first, second] = [await items(50_000), await items(50_000)];
    const results = await Promise.all([pg.write(first, { table: `${s}.events` }, { runKey }), pg.write(second, { table: `${s}.events` }, { runKey })]);
    assert.deepEqual(results.map((r) => r.rows), [50_000, 50_000]);
    assert.deepEqual(results.map((r) => r.detail).sort(), ['already loaded by an earlier attempt', 'append']);
    assert.deepEqual(await pg.sql(`SELECT count(*)::int AS n, count(DISTINCT id)::int AS ids FROM ${s}.events`), [{ n: 50_000 * (i + 1), ids: 50_000 }]);
  }
  // A re-run of the same logical run (the same run id, later) loads nothing either.
  const again = await pg.write(await items(50_000), { table: `${s}.events` }, { runKey: (await pg.sql<{ run_id: string }>(`SELECT run_id FROM ${s}.ferry_loads LIMIT 1`))[0]!.run_id });
  assert.equal(again.detail, 'already loaded by an earlier attempt');
  assert.deepEqual(await pg.sql(`SELECT count(*)::int AS n FROM ${s}.events`), [{ n: 150_000 }]);
});

test('a least-privilege loader (USAGE, SELECT/INSERT) loads without issuing any CREATE', async () => {
  await pg.sql(`CREATE TABLE ${s}.loaded (id bigint, label text); ${LOADS_DDL(s)};
    CREATE ROLE ${role} LOGIN; GRANT USAGE ON SCHEMA ${s} TO ${role}; GRANT SELECT, INSERT ON ${s}.loaded, ${s}.ferry_loads TO ${role}`);
  const loader = { ...pg.conn, user: role };
  const t = await items(10);
  const result = await pg.write(t, { table: `${s}.loaded` }, { conn: loader, runKey: 'least' });
  assert.deepEqual(result, { target: `postgres ${s}.loaded`, rows: 10, detail: 'append' });
  assert.deepEqual(await pg.sql(`SELECT count(*)::int AS n FROM ${s}.loaded`), [{ n: 10 }]);
  assert.deepEqual((await pg.write(t, { table: `${s}.loaded` }, { conn: loader, runKey: 'least' })).detail, 'already loaded by an earlier attempt');

  // Where ferry_loads is missing and the loader may not create it, the error gives the DDL to run.
  const other = `ferry_lp_${randomId()}`;
  schemas.push(other);
  await pg.sql(`CREATE SCHEMA ${other}; CREATE TABLE ${other}.loaded (id bigint, label text); GRANT USAGE ON SCHEMA ${other} TO ${role}; GRANT SELECT, INSERT ON ${other}.loaded TO ${role}`);
  const err = await failure(pg.write(t, { table: `${other}.loaded` }, { conn: loader, runKey: 'least' }));
  assert.ok(err instanceof FerryError);
  assert.equal(err.code, 'CONFIG');
  assert.equal(err.message, `role '${role}' may not create what the sink needs in schema ${other} (permission denied for schema ${other}); run once as the schema's owner: ` +
    `CREATE TABLE IF NOT EXISTS "${other}".ferry_loads (run_id text NOT NULL, sink text NOT NULL, target text, rows bigint, loaded_at timestamptz NOT NULL DEFAULT now(), execution text, started_at timestamptz, PRIMARY KEY (run_id, sink)); ` +
    `GRANT SELECT, INSERT ON "${other}".ferry_loads TO "${role}";`);
  assert.deepEqual(await pg.sql(`SELECT count(*)::int AS n FROM ${other}.loaded`), [{ n: 0 }]);
});

test('errors name the sink, the table, and the row and column or the constraint PostgreSQL reported', async () => {
  await pg.sql(`CREATE TABLE ${s}.strict (id bigint PRIMARY KEY, n integer)`);
  const bad = await pg.engine();
  await bad.run(`CREATE TABLE items AS SELECT * FROM (VALUES (1, '7'), (2, 'seven'), (3, '9')) t(id, n)`);
  const err = await failure(pg.write(bad, { table: `${s}.strict` }, { sink: 'warehouse', runKey: `e-${randomId()}` }));
  assert.ok(err instanceof FerryError);
  assert.equal(err.code, 'DATA');
  assert.equal(err.message, `sink warehouse, table ${s}.strict: PostgreSQL: invalid input syntax for type integer: "seven"; at row 2 of the data, column n`);
  assert.deepEqual(err.context, { connection: 'warehouse', dataset: 'items', line: 2, field: 'n' });

  await pg.sql(`INSERT INTO ${s}.strict VALUES (3, 0)`);
  const dup = await pg.engine();
  await dup.run(`CREATE TABLE items AS SELECT * FROM (VALUES (1, 7), (3, 9)) t(id, n)`);
  const conflict = await failure(pg.write(dup, { table: `${s}.strict` }, { sink: 'warehouse', runKey: `e-${randomId()}` }));
  assert.equal(conflict.code, 'DATA');
  assert.equal(conflict.message, `sink warehouse, table ${s}.strict: PostgreSQL: duplicate key value violates unique constraint "strict_pkey"; at row 2 of the data; constraint strict_pkey; Key (id)=(3) already exists`);
  assert.deepEqual(await pg.sql(`SELECT id, n FROM ${s}.strict`), [{ id: '3', n: 0 }], 'nothing half-written');
});

test('replace does not empty a table from an empty input unless allow_empty says so', async () => {
  await pg.sql(`CREATE TABLE ${s}.current (id bigint, label text); INSERT INTO ${s}.current VALUES (1, 'kept')`);
  const empty = await items(0);
  const err = await failure(pg.write(empty, { table: `${s}.current`, mode: 'replace' }, { sink: 'snapshot', runKey: 'empty-1' }));
  assert.equal(err.code, 'DATA');
  assert.equal(err.message, `sink snapshot: dataset items is empty, and mode replace would empty table ${s}.current; set allow_empty: true if that is intended`);
  assert.deepEqual(await pg.sql(`SELECT id, label FROM ${s}.current`), [{ id: '1', label: 'kept' }]);
  assert.deepEqual(await pg.sql(`SELECT count(*)::int AS n FROM ${s}.ferry_loads WHERE run_id = 'empty-1'`), [{ n: 0 }]);
  const allowed = await pg.write(empty, { table: `${s}.current`, mode: 'replace', allow_empty: true }, { sink: 'snapshot', runKey: 'empty-2' });
  assert.deepEqual(allowed, { target: `postgres ${s}.current`, rows: 0, detail: 'replace' });
  assert.deepEqual(await pg.sql(`SELECT count(*)::int AS n FROM ${s}.current`), [{ n: 0 }]);
});
