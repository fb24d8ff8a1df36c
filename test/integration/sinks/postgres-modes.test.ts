/**
 * The postgres sink's modes on the real PostgreSQL, rows read back exactly (EXCEPT ALL both ways):
 * append; replace by a new table swapped in (grants, indexes, comments kept; concurrent readers
 * only ever see the old or the new count; a dependent view makes it load in place); upsert with
 * modified_column (older and equal incoming rows kept, newer win, NULLs per the rule); merge
 * replaces exactly the days present.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { pgAdapters } from '../../support/pg-adapters.js';
import { randomId } from '../../support/harness.js';
import type { TableEngine } from '../../../src/table/engine.js';

const s = `it7_pgmodes_${randomId()}`;
let db: Awaited<ReturnType<typeof pgAdapters>>;

before(async () => {
  db = await pgAdapters();
  await db.sql(`CREATE SCHEMA ${s}`);
});
after(async () => {
  await db.sql(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
  await db.sql(`DROP ROLE IF EXISTS ${s}_reader`);
  await db.close();
});

/** A fresh engine holding dataset `items` made by this DuckDB SELECT. */
async function items(select: string): Promise<TableEngine> {
  const t = await db.engine();
  await t.run(`CREATE TABLE items AS ${select}`);
  return t;
}

/** The table holds exactly these rows (a PostgreSQL VALUES list with its column names), as a multiset. */
async function exactly(table: string, columns: string, values: string): Promise<void> {
  const expected = `SELECT * FROM (VALUES ${values}) v(${columns})`;
  const actual = `SELECT ${columns} FROM ${s}.${table}`;
  const [extra] = await db.sql<{ n: number }>(`SELECT count(*)::int AS n FROM (${actual} EXCEPT ALL ${expected}) x`);
  const [lacking] = await db.sql<{ n: number }>(`SELECT count(*)::int AS n FROM (${expected} EXCEPT ALL ${actual}) x`);
  assert.deepEqual({ extra: extra!.n, lacking: lacking!.n }, { extra: 0, lacking: 0 }, `${table}: ${JSON.stringify(await db.sql(`${actual} ORDER BY 1`))}`);
}

test('append: the rows exactly, NULL apart from empty text', async () => {
  const t = await items(`SELECT * FROM (VALUES (1, 'a'), (2, ''), (3, NULL)) v(id, label)`);
  assert.equal((await db.write(t, { table: `${s}.app` }, { runKey: 'a1' })).detail, 'append');
  await db.write(await items(`SELECT 4 AS id, 'd' AS label`), { table: `${s}.app` }, { runKey: 'a2' });
  await exactly('app', 'id, label', `(1, 'a'), (2, ''), (3, NULL::text), (4, 'd')`);
});

test('replace swaps in a new table: grants, indexes, constraints and comments kept; the old table gone', async () => {
  await db.sql(`CREATE TABLE ${s}.rep (id bigint PRIMARY KEY, label text NOT NULL DEFAULT 'x' CHECK (label <> 'bad'));
    CREATE INDEX rep_label ON ${s}.rep (label); COMMENT ON TABLE ${s}.rep IS 'the snapshot'; COMMENT ON COLUMN ${s}.rep.label IS 'a label';
    INSERT INTO ${s}.rep VALUES (1, 'old'), (2, 'old');
    DROP ROLE IF EXISTS ${s}_reader; CREATE ROLE ${s}_reader; GRANT USAGE ON SCHEMA ${s} TO ${s}_reader; GRANT SELECT ON ${s}.rep TO ${s}_reader`);
  const before = await db.sql<{ oid: number }>(`SELECT '${s}.rep'::regclass::oid AS oid`);
  const result = await db.write(await items(`SELECT * FROM (VALUES (2, 'new'), (3, 'new')) v(id, label)`), { table: `${s}.rep`, mode: 'replace' }, { runKey: 'r1' });
  assert.equal(result.detail, 'replace');
  await exactly('rep', 'id, label', `(2::bigint, 'new'), (3, 'new')`);
  const [after] = await db.sql<{ oid: number }>(`SELECT '${s}.rep'::regclass::oid AS oid`);
  assert.notEqual(after!.oid, before[0]!.oid, 'a new table');
  assert.deepEqual(await db.sql(`SELECT indexname FROM pg_indexes WHERE schemaname = '${s}' AND tablename = 'rep' ORDER BY 1`), [{ indexname: 'rep_label' }, { indexname: 'rep_pkey' }]);
  assert.deepEqual(await db.sql(`SELECT has_table_privilege('${s}_reader', '${s}.rep', 'SELECT') AS can, obj_description('${s}.rep'::regclass, 'pg_class') AS comment,
    col_description('${s}.rep'::regclass, 2) AS col, (SELECT count(*)::int FROM pg_constraint WHERE conrelid = '${s}.rep'::regclass AND contype = 'c') AS checks,
    (SELECT count(*)::int FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = '${s}' AND c.relname LIKE 'rep__ferry%') AS leftovers`),
  [{ can: true, comment: 'the snapshot', col: 'a label', checks: 1, leftovers: 0 }]);
});

test('replace keeps what LIKE leaves out: column grants, storage parameters, replica identity', async () => {
  await db.sql(`CREATE TABLE ${s}.kept (id bigint, label text); INSERT INTO ${s}.kept VALUES (1, 'old');
    DROP ROLE IF EXISTS ${s}_col; CREATE ROLE ${s}_col; GRANT SELECT (id) ON ${s}.kept TO ${s}_col;
    ALTER TABLE ${s}.kept SET (fillfactor = 80, autovacuum_enabled = false); ALTER TABLE ${s}.kept REPLICA IDENTITY FULL`);
  try {
    const result = await db.write(await items(`SELECT 2 AS id, 'new' AS label`), { table: `${s}.kept`, mode: 'replace' }, { runKey: 'kept-1' });
    assert.equal(result.detail, 'replace');
    await exactly('kept', 'id, label', `(2::bigint, 'new')`);
    assert.deepEqual(await db.sql(`SELECT c.reloptions AS options, c.relreplident AS identity, has_column_privilege('${s}_col', c.oid, 'id', 'SELECT') AS id,
        has_column_privilege('${s}_col', c.oid, 'label', 'SELECT') AS label FROM pg_class c WHERE c.oid = '${s}.kept'::regclass`),
    [{ options: ['fillfactor=80', 'autovacuum_enabled=false'], identity: 'f', id: true, label: false }]);
  } finally {
    await db.sql(`DROP OWNED BY ${s}_col; DROP ROLE ${s}_col`);
  }
});

test('replace of a table with its own foreign key loads in place (LIKE does not copy foreign keys)', async () => {
  await db.sql(`CREATE TABLE ${s}.dim (day date PRIMARY KEY); INSERT INTO ${s}.dim VALUES ('2024-01-01'), ('2024-01-02');
    CREATE TABLE ${s}.fact (day date CONSTRAINT fact_day_fk REFERENCES ${s}.dim, n int); INSERT INTO ${s}.fact VALUES ('2024-01-01', 1)`);
  const result = await db.write(await items(`SELECT DATE '2024-01-02' AS day, 2 AS n`), { table: `${s}.fact`, mode: 'replace' }, { runKey: 'fk-1' });
  assert.equal(result.detail, `replace (in place, truncate and load: its foreign key fact_day_fk references ${s}.dim)`);
  await exactly('fact', 'day, n', `('2024-01-02'::date, 2)`);
  assert.deepEqual(await db.sql(`SELECT conname FROM pg_constraint WHERE conrelid = '${s}.fact'::regclass AND contype = 'f'`), [{ conname: 'fact_day_fk' }]);
});

test('replace by a loader that owns the table but may not create in its schema loads in place', async () => {
  await db.sql(`CREATE TABLE ${s}.own (id bigint); INSERT INTO ${s}.own VALUES (1); DROP ROLE IF EXISTS ${s}_owner; CREATE ROLE ${s}_owner LOGIN;
    GRANT USAGE ON SCHEMA ${s} TO ${s}_owner; ALTER TABLE ${s}.own OWNER TO ${s}_owner;
    CREATE TABLE IF NOT EXISTS ${s}.ferry_loads (run_id text NOT NULL, sink text NOT NULL, target text, rows bigint, loaded_at timestamptz NOT NULL DEFAULT now(), execution text, started_at timestamptz, PRIMARY KEY (run_id, sink));
    GRANT SELECT, INSERT ON ${s}.ferry_loads TO ${s}_owner`);
  try {
    const result = await db.write(await items(`SELECT 2 AS id`), { table: `${s}.own`, mode: 'replace' }, { conn: { ...db.conn, user: `${s}_owner` }, runKey: 'own-1' });
    assert.equal(result.detail, `replace (in place, truncate and load: the loader may not create tables in schema ${s})`);
    await exactly('own', 'id', '(2::bigint)');
  } finally {
    await db.sql(`DROP OWNED BY ${s}_owner; DROP ROLE ${s}_owner`);
  }
});

test('replace of a table other tables reference: deleted and loaded in place, the keys checked at commit; a cascading or immediate key is refused', async () => {
  await db.sql(`CREATE TABLE ${s}.par (id bigint PRIMARY KEY, label text); INSERT INTO ${s}.par VALUES (1, 'old'), (2, 'old');
    CREATE TABLE ${s}.kid (pid bigint CONSTRAINT kid_pid_fk REFERENCES ${s}.par DEFERRABLE); INSERT INTO ${s}.kid VALUES (2)`);
  const result = await db.write(await items(`SELECT * FROM (VALUES (2, 'new'), (3, 'new')) v(id, label)`), { table: `${s}.par`, mode: 'replace' }, { runKey: 'par-1' });
  assert.equal(result.detail, `replace (in place, delete and load: foreign key kid_pid_fk of ${s}.kid references it)`);
  await exactly('par', 'id, label', `(2::bigint, 'new'), (3, 'new')`);
  // The dataset lacks a referenced key: the check at commit fails, nothing changes.
  await assert.rejects(db.write(await items(`SELECT 3 AS id, 'newer' AS label`), { table: `${s}.par`, mode: 'replace' }, { runKey: 'par-2' }), /kid_pid_fk/);
  await exactly('par', 'id, label', `(2::bigint, 'new'), (3, 'new')`);
  await db.sql(`ALTER TABLE ${s}.kid ALTER CONSTRAINT kid_pid_fk NOT DEFERRABLE`);
  await assert.rejects(db.write(await items(`SELECT 2 AS id, 'x' AS label`), { table: `${s}.par`, mode: 'replace' }, { runKey: 'par-3' }),
    (err: Error) => err.message.startsWith(`sink db, table ${s}.par: replace deletes every row and loads the dataset, but update or delete on table "par" violates foreign key constraint "kid_pid_fk" on table "kid", which is checked at once; nothing was written. Make that foreign key DEFERRABLE`));
  await db.sql(`ALTER TABLE ${s}.kid DROP CONSTRAINT kid_pid_fk, ADD CONSTRAINT kid_cascade FOREIGN KEY (pid) REFERENCES ${s}.par ON DELETE CASCADE`);
  await assert.rejects(db.write(await items(`SELECT 2 AS id, 'x' AS label`), { table: `${s}.par`, mode: 'replace' }, { runKey: 'par-4' }),
    (err: Error) => err.message === `sink db, table ${s}.par: mode replace would delete every row, and foreign key kid_cascade of ${s}.kid references the table ON DELETE CASCADE; nothing was written. Use mode upsert or merge, or make that foreign key ON DELETE NO ACTION DEFERRABLE`);
  await exactly('par', 'id, label', `(2::bigint, 'new'), (3, 'new')`);
  assert.deepEqual(await db.sql(`SELECT pid::int FROM ${s}.kid`), [{ pid: 2 }]);
});

test('replace with a view on the table loads in place (TRUNCATE + COPY, one transaction) and says why', async () => {
  await db.sql(`CREATE TABLE ${s}.viewed (id bigint, label text); INSERT INTO ${s}.viewed VALUES (1, 'old'); CREATE VIEW ${s}.v AS SELECT id FROM ${s}.viewed`);
  const result = await db.write(await items(`SELECT * FROM (VALUES (5, 'new')) v(id, label)`), { table: `${s}.viewed`, mode: 'replace' }, { runKey: 'v1' });
  assert.equal(result.detail, `replace (in place, truncate and load: view ${s}.v depends on it)`);
  await exactly('viewed', 'id, label', `(5::bigint, 'new')`);
  assert.deepEqual(await db.sql(`SELECT id::int FROM ${s}.v`), [{ id: 5 }]);
});

test('replace under concurrent readers: every count observed is the old or the new one, never 0 or partial', async () => {
  const OLD = 200_000;
  const NEW = 300_000;
  await db.write(await items(`SELECT i AS id, md5(i::VARCHAR) AS label FROM range(${OLD}) t(i)`), { table: `${s}.big`, mode: 'replace' }, { runKey: 'big-1' });
  const reader = new pg.Client({ host: db.conn.host, port: Number(db.conn.port), database: db.conn.database, user: db.conn.user });
  await reader.connect();
  const counts: number[] = [];
  let stop = false;
  const loop = (async () => {
    while (!stop) counts.push(Number((await reader.query(`SELECT count(*) AS n FROM ${s}.big`)).rows[0].n));
  })();
  try {
    const result = await db.write(await items(`SELECT i + 1000000 AS id, md5(i::VARCHAR) AS label FROM range(${NEW}) t(i)`), { table: `${s}.big`, mode: 'replace' }, { runKey: 'big-2' });
    assert.equal(result.detail, 'replace');
    await new Promise((r) => setTimeout(r, 200));
  } finally {
    stop = true;
    await loop;
    await reader.end();
  }
  assert.ok(counts.includes(OLD) && counts.at(-1) === NEW, `saw the old and then the new count (${counts.length} reads)`);
  assert.deepEqual([...new Set(counts)].sort(), [OLD, NEW].sort(), 'no other count');
  assert.deepEqual(await db.sql(`SELECT min(id)::int AS lo, max(id)::int AS hi, count(DISTINCT id)::int AS n FROM ${s}.big`), [{ lo: 1_000_000, hi: 1_000_000 + NEW - 1, n: NEW }]);
});

test('concurrent replaces of one table (a backfill of several days) take turns: no deadlock, the table is one of the loads', async () => {
  const loads = [1, 2, 3].map(async (n) => db.write(await items(`SELECT i AS id, ${n} AS load FROM range(200000) t(i)`), { table: `${s}.turns`, mode: 'replace' }, { runKey: `turns-${n}` }));
  const results = await Promise.allSettled(loads);
  assert.deepEqual(results.map((r) => (r.status === 'fulfilled' ? r.value.detail : String(r.reason))), ['replace', 'replace', 'replace']);
  const [table] = await db.sql<{ n: number; loads: number }>(`SELECT count(*)::int AS n, count(DISTINCT load)::int AS loads FROM ${s}.turns`);
  assert.deepEqual(table, { n: 200000, loads: 1 });
});

test('upsert with modified_column: newer rows win, older and equal ones are kept, NULLs per the rule', async () => {
  const spec = { table: `${s}.ups`, mode: 'upsert', keys: ['id'], modified_column: 'm' };
  await db.write(await items(`SELECT * FROM (VALUES
      (1, 'one', TIMESTAMP '2024-01-02'), (2, 'two', TIMESTAMP '2024-01-02'), (3, 'three', TIMESTAMP '2024-01-02'),
      (4, 'four', CAST(NULL AS TIMESTAMP)), (5, 'five', TIMESTAMP '2024-01-02')) v(id, label, m)`), spec, { runKey: 'u1' });
  const result = await db.write(await items(`SELECT * FROM (VALUES
      (1, 'older', TIMESTAMP '2024-01-01'),   -- older: kept
      (2, 'newer', TIMESTAMP '2024-01-03'),   -- newer: wins
      (3, 'equal', TIMESTAMP '2024-01-02'),   -- equal: kept
      (4, 'over null', TIMESTAMP '2024-01-01'), -- the table's NULL: overwritten
      (5, 'null in', CAST(NULL AS TIMESTAMP)),  -- an incoming NULL: never overwrites
      (6, 'new key', TIMESTAMP '2024-01-01')) v(id, label, m)`), spec, { runKey: 'u2' });
  assert.equal(result.detail, 'upsert (3 rows not newer than the table\'s by m: kept the table\'s)');
  await exactly('ups', 'id, label, m', `(1, 'one', '2024-01-02'::timestamp), (2, 'newer', '2024-01-03'), (3, 'three', '2024-01-02'),
    (4, 'over null', '2024-01-01'), (5, 'five', '2024-01-02'), (6, 'new key', '2024-01-01')`);
});

test('merge replaces exactly the days present in the dataset, other days untouched', async () => {
  const spec = { table: `${s}.mrg`, mode: 'merge', merge_keys: ['day'] };
  await db.write(await items(`SELECT * FROM (VALUES (DATE '2024-01-01', 1), (DATE '2024-01-01', 2), (DATE '2024-01-02', 3), (DATE '2024-01-03', 4), (NULL, 5)) v(day, n)`), spec, { runKey: 'm1' });
  const result = await db.write(await items(`SELECT * FROM (VALUES (DATE '2024-01-01', 10), (DATE '2024-01-03', 40), (DATE '2024-01-03', 41), (NULL, 50)) v(day, n)`), spec, { runKey: 'm2' });
  assert.equal(result.detail, 'merge (deleted 4 rows with the dataset\'s day values)');
  await exactly('mrg', 'day, n', `('2024-01-01'::date, 10), ('2024-01-02', 3), ('2024-01-03', 40), ('2024-01-03', 41), (NULL, 50)`);
  // A re-run of the same logical run merges again: the same result.
  const again = await db.write(await items(`SELECT * FROM (VALUES (DATE '2024-01-01', 10), (DATE '2024-01-03', 40), (DATE '2024-01-03', 41), (NULL, 50)) v(day, n)`), spec,
    { runKey: 'm2', generation: 'exec-2', runStartedAt: new Date(Date.now() + 1000).toISOString() });
  assert.match(again.detail!, /^merge again \(an earlier run of this logical run loaded it at .*\) \(deleted 4 rows/);
  await exactly('mrg', 'day, n', `('2024-01-01'::date, 10), ('2024-01-02', 3), ('2024-01-03', 40), ('2024-01-03', 41), (NULL, 50)`);
});

test('merge on two keys (reusing keys) deletes only matching pairs', async () => {
  const spec = { table: `${s}.mrg2`, mode: 'merge', keys: ['day', 'shop'] };
  await db.write(await items(`SELECT * FROM (VALUES (DATE '2024-01-01', 'a', 1), (DATE '2024-01-01', 'b', 2), (DATE '2024-01-02', 'a', 3)) v(day, shop, n)`), spec, { runKey: 'k1' });
  await db.write(await items(`SELECT * FROM (VALUES (DATE '2024-01-01', 'a', 10), (DATE '2024-01-02', 'b', 30)) v(day, shop, n)`), spec, { runKey: 'k2' });
  await exactly('mrg2', 'day, shop, n', `('2024-01-01'::date, 'b', 2), ('2024-01-02', 'a', 3), ('2024-01-01', 'a', 10), ('2024-01-02', 'b', 30)`);
});

test('upsert with modified_column: an incoming NULL never overwrites, not even the table\'s NULL', async () => {
  const spec = { table: `${s}.upsnull`, mode: 'upsert', keys: ['id'], modified_column: 'm' };
  await db.write(await items(`SELECT * FROM (VALUES (1, 'kept', CAST(NULL AS TIMESTAMP)), (2, 'dated', TIMESTAMP '2024-01-02')) v(id, label, m)`), spec, { runKey: 'n1' });
  const result = await db.write(await items(`SELECT * FROM (VALUES (1, 'null over null', CAST(NULL AS TIMESTAMP)), (2, 'null over date', CAST(NULL AS TIMESTAMP))) v(id, label, m)`), spec, { runKey: 'n2' });
  assert.equal(result.detail, 'upsert (2 rows not newer than the table\'s by m: kept the table\'s)');
  await exactly('upsnull', 'id, label, m', `(1, 'kept', NULL::timestamp), (2, 'dated', '2024-01-02')`);
});
