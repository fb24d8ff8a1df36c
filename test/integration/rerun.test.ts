/**
 * A run's id is its logical run. The first run of a pipeline with two warehouse sinks into a schema
 * that does not exist yet succeeds (the sinks race to create it), and running the same id again
 * after it completed delivers nothing twice: each append table holds every row exactly once.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHarness, randomId } from '../support/harness.js';
import type { RunReport } from '../../src/run.js';

let h: Awaited<ReturnType<typeof startHarness>>;
let dir: string;
const schema = `rerun_${randomId()}`;

before(async () => {
  h = await startHarness();
  dir = await mkdtemp(join(tmpdir(), 'ferry-rerun-'));
  process.env.FERRY_FILE_ROOTS = dir; // the file source reads here
  process.env.FERRY_CONNECTIONS = 'config/connections.yaml';
  await writeFile(join(dir, 'orders.csv'), 'order_id,amount\nO1,10.50\nO2,20.00\nO3,30.25\n');
  await writeFile(join(dir, 'pipeline.yaml'), `name: rerun
sources:
  orders: { type: file, path: ${join(dir, 'orders.csv')} }
sinks:
  first:  { type: postgres, connection: warehouse, input: orders, table: ${schema}.orders_a, mode: append }
  second: { type: postgres, connection: warehouse, input: orders, table: ${schema}.orders_b, mode: append }
`);
});
after(async () => {
  await h?.sql(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
  await h?.stop();
  await rm(dir, { recursive: true, force: true });
  delete process.env.FERRY_FILE_ROOTS;
  delete process.env.FERRY_CONNECTIONS;
});

const ordersIn = async (table: string) =>
  (await h.sql<{ order_id: string; amount: string }>(`SELECT order_id, amount::text AS amount FROM ${schema}.${table} ORDER BY order_id`)).map((r) => `${r.order_id} ${r.amount}`);

test('two sinks into a new schema on a first run, then the same run id again: every row exactly once', async () => {
  const id = `rerun-${randomId()}`;
  const first = (await (await h.start(join(dir, 'pipeline.yaml'), {}, id)).result()) as RunReport;
  assert.equal(first.status, 'completed');
  assert.deepEqual(first.sinks.map((s) => [s.sink, s.status, s.rows]).sort(), [['first', 'delivered', 3], ['second', 'delivered', 3]]);

  const again = (await (await h.start(join(dir, 'pipeline.yaml'), {}, id)).result()) as RunReport;
  assert.equal(again.status, 'completed');
  // A new execution of the same logical run: append sinks without run_column skip it, and say so.
  assert.deepEqual(again.sinks.map((s) => [s.sink, s.detail?.replace(/at \S+Z,/, 'at <time>,')]).sort(), [
    ['first', `skipped: an earlier run of ${id} loaded it at <time>, and an append sink loads each run once; set run_column on the sink to replace that run's rows when it runs again`],
    ['second', `skipped: an earlier run of ${id} loaded it at <time>, and an append sink loads each run once; set run_column on the sink to replace that run's rows when it runs again`],
  ]);

  // They delivered nothing in this run: no rows counted again (ferry runs, ferry_rows_total).
  assert.deepEqual(again.sinks.map((s) => [s.sink, s.rows]).sort(), [['first', 0], ['second', 0]]);
  const expected = ['O1 10.50', 'O2 20.00', 'O3 30.25'];
  assert.deepEqual(await ordersIn('orders_a'), expected);
  assert.deepEqual(await ordersIn('orders_b'), expected);
  assert.deepEqual(await h.sql(`SELECT count(*)::int AS loads FROM ${schema}.ferry_loads`), [{ loads: 2 }]);
});
