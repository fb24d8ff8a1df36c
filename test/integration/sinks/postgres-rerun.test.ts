/**
 * The postgres sink when the same logical run runs again (a new execution: another `generation`)
 * with changed data, on the real PostgreSQL: replace and upsert end with the new data; append with
 * run_column replaces that run's rows (other runs' rows kept) in one transaction; append without it
 * loads nothing and says so; an older execution never overwrites a newer load; attempts of one
 * execution still load once; a ledger from before the `execution` column is upgraded by its owner.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { pgAdapters } from '../../support/pg-adapters.js';
import { randomId } from '../../support/harness.js';
import type { FerryError } from '../../../src/errors.js';
import type { TableEngine } from '../../../src/table/engine.js';

const s = `ferry_rerun_${randomId()}`;
let pg: Awaited<ReturnType<typeof pgAdapters>>;

/** A fresh engine holding dataset `items` with these (id, label) rows. */
async function items(rows: [number, string][]): Promise<TableEngine> {
  const t = await pg.engine();
  await t.run(`CREATE TABLE items (id BIGINT, label VARCHAR)`);
  if (rows.length) await t.run(`INSERT INTO items VALUES ${rows.map(([id, label]) => `(${id}, '${label}')`).join(', ')}`);
  return t;
}
const rowsOf = async (table: string, extra = '') =>
  (await pg.sql<{ r: string }>(`SELECT concat_ws(' ', id, label${extra}) AS r FROM ${s}.${table} ORDER BY 1`)).map((x) => x.r);
const ledger = async (table: string) =>
  pg.sql<{ run_id: string; rows: number; execution: string | null }>(`SELECT run_id, rows::int, execution FROM ${s}.ferry_loads WHERE target = '${s}.${table}' ORDER BY run_id`);

// Executions of one logical run: A started first, B later (a re-run), each with its start time.
const A = { generation: 'exec-a', runStartedAt: '2024-01-05T00:00:00Z' };
const B = { generation: 'exec-b', runStartedAt: new Date(Date.now() + 1000).toISOString() };

before(async () => {
  pg = await pgAdapters();
  await pg.sql(`CREATE SCHEMA ${s}`);
});
after(async () => {
  await pg.sql(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
  await pg.close();
});

test('replace: a re-run with changed data leaves exactly the new data; a retry of the re-run loads nothing', async () => {
  const spec = { table: `${s}.rep`, mode: 'replace' };
  assert.equal((await pg.write(await items([[1, 'a'], [2, 'b']]), spec, { runKey: 'day1', sink: 'rep', ...A })).detail, 'replace');
  const again = await pg.write(await items([[2, 'B'], [3, 'C']]), spec, { runKey: 'day1', sink: 'rep', ...B });
  assert.match(again.detail!, /^replace again \(an earlier run of this logical run loaded it at \d{4}-\d\d-\d\dT[\d:.]+Z\)$/);
  assert.deepEqual(await rowsOf('rep'), ['2 B', '3 C']);
  const retry = await pg.write(await items([[9, 'x']]), spec, { runKey: 'day1', sink: 'rep', ...B });
  assert.deepEqual([retry.detail, retry.rows], ['already loaded by an earlier attempt', 2]);
  assert.deepEqual(await rowsOf('rep'), ['2 B', '3 C']);
  assert.deepEqual(await ledger('rep'), [{ run_id: 'day1', rows: 2, execution: 'exec-b' }]);
});

test('upsert: a re-run updates the keys it has, adds new ones, no duplicates', async () => {
  const spec = { table: `${s}.ups`, mode: 'upsert', keys: ['id'] };
  await pg.write(await items([[1, 'a'], [2, 'b']]), spec, { runKey: 'day1', sink: 'ups', ...A });
  await pg.write(await items([[2, 'B'], [3, 'C']]), spec, { runKey: 'day1', sink: 'ups', ...B });
  assert.deepEqual(await rowsOf('ups'), ['1 a', '2 B', '3 C']);
  assert.deepEqual(await pg.sql(`SELECT count(*)::int AS n, count(DISTINCT id)::int AS ids FROM ${s}.ups`), [{ n: 3, ids: 3 }]);
});

test('append with run_column: a re-run replaces that run\'s rows only, in one transaction; attempts of the re-run load once', async () => {
  const spec = { table: `${s}.app`, mode: 'append', run_column: 'ferry_run' };
  assert.equal((await pg.write(await items([[1, 'a'], [2, 'b'], [3, 'c']]), spec, { runKey: 'day1', sink: 'app', ...A })).detail, 'append');
  await pg.write(await items([[10, 'other day']]), spec, { runKey: 'day2', generation: 'exec-c', runStartedAt: A.runStartedAt });
  assert.deepEqual(await rowsOf('app', ', ferry_run'), ['1 a day1', '10 other day day2', '2 b day1', '3 c day1']);

  // The re-run, twice at once (an attempt presumed dead and its retry): one replaces, one sees it.
  const [x, y] = await Promise.all([
    pg.write(await items([[2, 'B'], [4, 'D']]), spec, { runKey: 'day1', sink: 'app', ...B }),
    pg.write(await items([[2, 'B'], [4, 'D']]), spec, { runKey: 'day1', sink: 'app', ...B }),
  ]);
  const details = [x.detail!, y.detail!].sort();
  assert.equal(details[0], 'already loaded by an earlier attempt');
  assert.match(details[1]!, /^append, replacing the 3 rows an earlier run of this logical run loaded at \d{4}-.*Z$/);
  assert.deepEqual(await rowsOf('app', ', ferry_run'), ['10 other day day2', '2 B day1', '4 D day1']);
  assert.deepEqual(await ledger('app'), [{ run_id: 'day1', rows: 2, execution: 'exec-b' }, { run_id: 'day2', rows: 1, execution: 'exec-c' }]);
  // The created table has the stamp column and an index on it.
  assert.deepEqual(await pg.sql(`SELECT indexdef FROM pg_indexes WHERE schemaname = '${s}' AND tablename = 'app'`), [{ indexdef: `CREATE INDEX app_ferry_run_idx ON ${s}.app USING btree (ferry_run)` }]);
});

test('append with run_column: an earlier load whose rows do not all carry the stamp is not replaced', async () => {
  await pg.sql(`CREATE TABLE ${s}.mixed (id bigint, label text, ferry_run text)`);
  await pg.write(await items([[1, 'a'], [2, 'b']]), { table: `${s}.mixed` }, { runKey: 'day1', sink: 'mixed', ...A }); // before run_column was set: no stamp
  const err = await pg.write(await items([[1, 'A']]), { table: `${s}.mixed`, run_column: 'ferry_run' }, { runKey: 'day1', sink: 'mixed', ...B }).then(() => assert.fail('loaded'), (e: unknown) => e as FerryError);
  assert.equal(err.code, 'DATA');
  assert.equal(err.message, `sink mixed, table ${s}.mixed: the earlier load of run day1 recorded 2 rows, but 0 rows have ferry_run = 'day1' (loaded before run_column was set, or changed since); nothing was changed: delete that run's rows and its row in ${s}.ferry_loads by hand to load it again`);
  assert.deepEqual(await rowsOf('mixed'), ['1 a', '2 b']);
  assert.deepEqual(await ledger('mixed'), [{ run_id: 'day1', rows: 2, execution: 'exec-a' }]);
});

test('append with run_column on a table without that column says how to add it; on a dataset that has it, which name to pick', async () => {
  await pg.sql(`CREATE TABLE ${s}.plain (id bigint, label text)`);
  const missing = await pg.write(await items([[1, 'a']]), { table: `${s}.plain`, run_column: 'ferry_run' }, { runKey: 'r', ...A }).then(() => assert.fail('loaded'), (e: unknown) => e as FerryError);
  assert.deepEqual([missing.code, missing.message], ['CONFIG', `sink db, table ${s}.plain: the table has no column ferry_run for run_column; add it once: ALTER TABLE "${s}"."plain" ADD COLUMN "ferry_run" text`]);
  const clash = await pg.write(await items([[1, 'a']]), { table: `${s}.plain`, run_column: 'LABEL' }, { runKey: 'r', ...A }).then(() => assert.fail('loaded'), (e: unknown) => e as FerryError);
  assert.deepEqual([clash.code, clash.message], ['CONFIG', `run_column 'LABEL' is already a column of dataset items: name a column the sink can fill with the run key`]);
});

test('append without run_column: a re-run loads nothing and says it skipped, and how to reload', async () => {
  const spec = { table: `${s}.once`, mode: 'append' };
  await pg.write(await items([[1, 'a'], [2, 'b']]), spec, { runKey: 'day1', sink: 'once', ...A });
  const again = await pg.write(await items([[1, 'A'], [2, 'B'], [3, 'C']]), spec, { runKey: 'day1', sink: 'once', ...B });
  assert.equal(again.rows, 0, 'the skipped re-run delivered nothing (the 2 rows are the earlier run\'s)');
  assert.match(again.detail!, /^skipped: an earlier run of day1 loaded it at \d{4}-\d\d-\d\dT[\d:.]+Z, and an append sink loads each run once; set run_column on the sink to replace that run's rows when it runs again$/);
  assert.deepEqual(await rowsOf('once'), ['1 a', '2 b']);
});

test('an execution that started before the load it finds never overwrites it', async () => {
  const spec = { table: `${s}.late`, mode: 'replace' };
  await pg.write(await items([[1, 'new']]), spec, { runKey: 'day1', sink: 'late', ...B });
  const zombie = await pg.write(await items([[1, 'old']]), spec, { runKey: 'day1', sink: 'late', generation: 'exec-old', runStartedAt: '2024-01-01T00:00:00Z' });
  assert.equal(zombie.rows, 0);
  assert.match(zombie.detail!, /^skipped: a later run of day1 loaded it at .*Z; this run started before that one and never overwrites its load$/);
  assert.deepEqual(await rowsOf('late'), ['1 new']);
});

test('a late commit of an older execution is replaced by a newer one that started before that commit', async () => {
  const spec = { table: `${s}.zombie`, mode: 'replace' };
  // The old execution (started long ago) commits now, after the newer one started a minute ago.
  await pg.write(await items([[1, 'old']]), spec, { runKey: 'day1', sink: 'zombie', generation: 'exec-old', runStartedAt: '2024-01-01T00:00:00Z' });
  const newer = await pg.write(await items([[1, 'new']]), spec, { runKey: 'day1', sink: 'zombie', generation: 'exec-new', runStartedAt: new Date(Date.now() - 60_000).toISOString() });
  assert.match(newer.detail!, /^replace again /);
  assert.deepEqual(await rowsOf('zombie'), ['1 new']);
});

test('a ledger from before the execution column: its owner adds the column in place, and re-runs are told apart', async () => {
  await pg.sql(`CREATE TABLE ${s}.old_target (id bigint, label text)`);
  const other = `ferry_oldledger_${randomId()}`;
  try {
    await pg.sql(`CREATE SCHEMA ${other}; CREATE TABLE ${other}.t (id bigint, label text);
      CREATE TABLE ${other}.ferry_loads (run_id text NOT NULL, sink text NOT NULL, target text, rows bigint, loaded_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (run_id, sink));
      INSERT INTO ${other}.ferry_loads (run_id, sink, target, rows, loaded_at) VALUES ('day1', 'db', '${other}.t', 1, '2024-01-05T01:00:00Z')`);
    const spec = { table: `${other}.t`, mode: 'replace' };
    const again = await pg.write(await items([[5, 'e']]), spec, { runKey: 'day1', sink: 'db', ...B });
    assert.match(again.detail!, /^replace again \(an earlier run of this logical run loaded it at 2024-01-05T01:00:00.000Z\)$/);
    assert.deepEqual(await pg.sql(`SELECT run_id, execution, started_at = $1::timestamptz AS started FROM ${other}.ferry_loads`, [B.runStartedAt]), [{ run_id: 'day1', execution: 'exec-b', started: true }]);
  } finally {
    await pg.sql(`DROP SCHEMA IF EXISTS ${other} CASCADE`);
  }
});
