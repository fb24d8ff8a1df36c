/**
 * Schema evolution of the postgres sink on the real PostgreSQL: evolve (the default) adds a new
 * column and earlier rows read NULL there; freeze fails naming the column with the table untouched;
 * discard_columns leaves it out and says so; a type conflict names the column and both types and
 * writes nothing; a column the dataset lacks gets its default.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { pgAdapters } from '../../support/pg-adapters.js';
import { randomId } from '../../support/harness.js';
import { FerryError } from '../../../src/errors.js';
import type { TableEngine } from '../../../src/table/engine.js';

const s = `it7_pgschema_${randomId()}`;
let db: Awaited<ReturnType<typeof pgAdapters>>;

before(async () => {
  db = await pgAdapters();
  await db.sql(`CREATE SCHEMA ${s}`);
});
after(async () => {
  await db.sql(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
  await db.close();
});

async function items(select: string): Promise<TableEngine> {
  const t = await db.engine();
  await t.run(`CREATE TABLE items AS ${select}`);
  return t;
}
const failure = (p: Promise<unknown>) => p.then(() => assert.fail('should fail'), (e: unknown) => e);
const columnsOf = async (table: string) =>
  (await db.sql<{ c: string }>(`SELECT column_name || ' ' || data_type AS c FROM information_schema.columns WHERE table_schema = '${s}' AND table_name = '${table}' ORDER BY ordinal_position`)).map((r) => r.c);
const rowsOf = async (table: string) => (await db.sql(`SELECT * FROM ${s}.${table} ORDER BY 1`)).map((r) => Object.values(r).map((v) => (v === null ? 'NULL' : v instanceof Date ? v.toISOString().slice(0, 10) : String(v))).join(' '));

test('evolve (the default): a new dataset column is added; earlier rows read NULL there', async () => {
  await db.write(await items(`SELECT * FROM (VALUES (1, 'a')) v(id, label)`), { table: `${s}.evo` }, { runKey: 'e1' });
  const result = await db.write(await items(`SELECT * FROM (VALUES (2, 'b', 2.5::DECIMAL(6,2), DATE '2024-01-02')) v(id, label, price, day)`), { table: `${s}.evo` }, { runKey: 'e2' });
  assert.equal(result.detail, 'append; added columns price numeric(6,2), day date');
  assert.deepEqual(await columnsOf('evo'), ['id integer', 'label text', 'price numeric', 'day date']);
  assert.deepEqual(await rowsOf('evo'), ['1 a NULL NULL', '2 b 2.50 2024-01-02']);
});

test('freeze: a new column fails the load naming it, before anything is written', async () => {
  await db.write(await items(`SELECT * FROM (VALUES (1, 'a')) v(id, label)`), { table: `${s}.frz`, schema: 'freeze' }, { runKey: 'f1' });
  const err = await failure(db.write(await items(`SELECT * FROM (VALUES (2, 'b', 7)) v(id, label, extra)`), { table: `${s}.frz`, schema: 'freeze' }, { runKey: 'f2' }));
  assert.ok(err instanceof FerryError);
  assert.equal(err.code, 'CONFIG');
  assert.equal(err.message, `sink db, table ${s}.frz: the dataset has column extra (INTEGER) that the table lacks, and the sink has schema: freeze; nothing was written. Add it to the table, or set schema: evolve (add) or discard_columns (leave out)`);
  assert.deepEqual(await columnsOf('frz'), ['id integer', 'label text']);
  assert.deepEqual(await rowsOf('frz'), ['1 a']);
  assert.deepEqual(await db.sql(`SELECT run_id FROM ${s}.ferry_loads WHERE sink = 'db' AND target = '${s}.frz'`), [{ run_id: 'f1' }], 'no claim recorded for the failed load');
});

test('discard_columns: unknown columns are left out of the load, and the detail says so', async () => {
  await db.write(await items(`SELECT * FROM (VALUES (1, 'a')) v(id, label)`), { table: `${s}.dis` }, { runKey: 'd1' });
  const result = await db.write(await items(`SELECT * FROM (VALUES (2, 'b', 7, 'x')) v(id, label, extra, more)`), { table: `${s}.dis`, schema: 'discard_columns' }, { runKey: 'd2' });
  assert.equal(result.detail, 'append; discarded columns not in the table: extra, more');
  assert.deepEqual(await columnsOf('dis'), ['id integer', 'label text']);
  assert.deepEqual(await rowsOf('dis'), ['1 a', '2 b']);
});

test('a column the dataset lacks gets its default (NULL unless set), and the detail says so', async () => {
  await db.sql(`CREATE TABLE ${s}.more (id bigint, label text, source text DEFAULT 'ferry', note text)`);
  const result = await db.write(await items(`SELECT * FROM (VALUES (1, 'a')) v(id, label)`), { table: `${s}.more` }, { runKey: 'x1' });
  assert.equal(result.detail, 'append; not in the dataset, left to the column default (NULL unless set): source, note');
  assert.deepEqual(await rowsOf('more'), ['1 a ferry NULL']);
});

test('a type conflict names the column and both types, and nothing is written (nor added)', async () => {
  await db.sql(`CREATE TABLE ${s}.typed (id integer, amount numeric(10,2), day date); INSERT INTO ${s}.typed VALUES (1, 1.00, '2024-01-01')`);
  const cases: [string, string][] = [
    [`SELECT 2::BIGINT AS id, 1.5::DECIMAL(10,2) AS amount, DATE '2024-01-02' AS day, 'n' AS new_col`, `column id is BIGINT in the dataset but integer in the table`],
    [`SELECT 2 AS id, 1.5::DECIMAL(18,4) AS amount, DATE '2024-01-02' AS day`, `column amount is DECIMAL(18,4) in the dataset but numeric(10,2) in the table`],
    [`SELECT 2 AS id, 1.5::DECIMAL(10,2) AS amount, 20240102 AS day`, `column day is INTEGER in the dataset but date in the table`],
  ];
  for (const [select, named] of cases) {
    for (const mode of ['append', 'replace', 'merge']) {
      const err = await failure(db.write(await items(select), { table: `${s}.typed`, mode, ...(mode === 'merge' ? { merge_keys: ['id'] } : {}) }, { runKey: `t-${randomId()}` }));
      assert.ok(err instanceof FerryError, String(err));
      assert.equal(err.code, 'CONFIG');
      assert.equal(err.message, `sink db, table ${s}.typed: ${named}, which cannot hold every value of that type (the check is by type, not by the values); nothing was written. Cast it in a transform, or change the table's column type`);
    }
  }
  assert.deepEqual(await columnsOf('typed'), ['id integer', 'amount numeric', 'day date'], 'no column added');
  assert.deepEqual(await rowsOf('typed'), ['1 1.00 2024-01-01']);
});

test('evolve into a table the loader does not own: the error gives the ALTER TABLE to run once', async () => {
  await db.sql(`CREATE TABLE ${s}.owned (id bigint); DROP ROLE IF EXISTS ${s}_loader; CREATE ROLE ${s}_loader LOGIN;
    GRANT USAGE ON SCHEMA ${s} TO ${s}_loader; GRANT INSERT, SELECT ON ${s}.owned TO ${s}_loader;
    CREATE TABLE IF NOT EXISTS ${s}.ferry_loads (run_id text NOT NULL, sink text NOT NULL, target text, rows bigint, loaded_at timestamptz NOT NULL DEFAULT now(), execution text, started_at timestamptz, PRIMARY KEY (run_id, sink));
    GRANT SELECT, INSERT ON ${s}.ferry_loads TO ${s}_loader`);
  try {
    const loader = { ...db.conn, user: `${s}_loader` };
    const err = await failure(db.write(await items(`SELECT 1 AS id, 'x' AS label`), { table: `${s}.owned` }, { conn: loader, runKey: 'o1' }));
    assert.ok(err instanceof FerryError);
    assert.equal(err.code, 'CONFIG');
    assert.match(err.message, new RegExp(`^sink db, table ${s}\\.owned: schema: evolve needs to add column\\(s\\) label, and the loader may not \\(.*\\); run once as the table's owner: ALTER TABLE "${s}"\\."owned" ADD COLUMN IF NOT EXISTS "label" text; or set schema: discard_columns$`));
    const discarded = await db.write(await items(`SELECT 1 AS id, 'x' AS label`), { table: `${s}.owned`, schema: 'discard_columns' }, { conn: loader, runKey: 'o2' });
    assert.equal(discarded.detail, 'append; discarded column not in the table: label');
  } finally {
    await db.sql(`DROP OWNED BY ${s}_loader; DROP ROLE ${s}_loader`);
  }
});
