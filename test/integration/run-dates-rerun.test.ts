/**
 * Running a logical run again, end to end on the real services: the run of 2024-01-05 runs, its
 * source file is corrected, and the same day runs again (the same workflow id, a new execution).
 * Each sink does what docs/run-dates.md says: postgres replace and upsert hold the new data,
 * append with run_column holds the new rows of that day (another day's kept), append without it
 * keeps the first load and reports "skipped"; the S3 object and the file are overwritten; the
 * http receiver gets the same Idempotency-Keys and keeps the first delivery. Then a re-run that
 * fails at its http sink is retried (`ferry retry`): the retry does not load its postgres sinks
 * again, even with the source changed once more.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHarness, randomId } from './../support/harness.js';
import { startReceiver, type Receiver } from '../support/receiver.js';
import { loadPipeline } from '../../src/pipeline/load.js';
import { planOf, startRun } from '../../src/cli/start.js';
import { retryRun } from '../../src/retry.js';
import type { RunReport } from '../../src/run.js';

let h: Awaited<ReturnType<typeof startHarness>>;
let rx: Receiver;
let dir: string;
const suffix = randomId();
const schema = `rerun_dates_${suffix}`;
const pipeline = `rerun-${suffix}`;
const prefix = `run-dates-rerun-${suffix}`;
const DAY = '2024-01-05T00:00:00.000Z';
const OTHER_DAY = '2024-01-06T00:00:00.000Z';
const id = `${pipeline}-2024-01-05T00:00:00Z`;

const orders = (day: string, rows: string) => writeFile(join(dir, 'in', day, 'orders.csv'), `order_id,amount\n${rows}`);

before(async () => {
  h = await startHarness();
  rx = await startReceiver();
  dir = await mkdtemp(join(tmpdir(), 'ferry-rerun-dates-'));
  process.env.FERRY_FILE_ROOTS = dir;
  const connections = await readFile('config/connections.yaml', 'utf8');
  await writeFile(join(dir, 'connections.yaml'), `${connections}\nreceiver:\n  type: http\n  base_url: ${rx.url}\n`);
  process.env.FERRY_CONNECTIONS = join(dir, 'connections.yaml');
  for (const day of ['2024-01-05', '2024-01-06']) await mkdir(join(dir, 'in', day), { recursive: true });
  await writeFile(join(dir, 'pipeline.yaml'), `name: ${pipeline}
sources:
  orders: { type: file, path: '${dir}/in/{run_date}/orders.csv', columns: { amount: 'DECIMAL(10,2)' } }
sinks:
  rep:  { type: postgres, connection: warehouse, input: orders, table: ${schema}.rep, mode: replace }
  ups:  { type: postgres, connection: warehouse, input: orders, table: ${schema}.ups, mode: upsert, keys: [order_id] }
  app:  { type: postgres, connection: warehouse, input: orders, table: ${schema}.app, mode: append, run_column: ferry_run }
  once: { type: postgres, connection: warehouse, input: orders, table: ${schema}.once, mode: append }
  lake: { type: s3, connection: lake, input: orders, bucket: ferry-demo, create_bucket: true, key: '${prefix}/{run_date}/orders.csv' }
  flat: { type: file, input: orders, path: '${dir}/out/orders-{run_date}.csv' }
  api:  { type: http, connection: receiver, input: orders, path: /ingest, wrap: records, batch_size: 2 }
`);
});
after(async () => {
  for (const day of ['2024-01-05', '2024-01-06']) await h?.s3Delete('ferry-demo', `${prefix}/${day}/orders.csv`).catch(() => undefined);
  await h?.sql(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
  await h?.stop();
  await rx?.close();
  await rm(dir, { recursive: true, force: true });
  delete process.env.FERRY_FILE_ROOTS;
  delete process.env.FERRY_CONNECTIONS;
});

async function runDay(time: string): Promise<RunReport> {
  const handle = await startRun(h.client, planOf(await loadPipeline(join(dir, 'pipeline.yaml'))), { time, taskQueue: h.taskQueue });
  return (await handle.result()) as RunReport;
}
/** A table's rows as text, sorted; `extra` adds columns. */
const rows = async (table: string, extra = '') =>
  (await h.sql<{ r: string }>(`SELECT concat_ws(' ', order_id, amount${extra}) AS r FROM ${schema}.${table} ORDER BY 1`)).map((x) => x.r);
const detailOf = (report: RunReport, sink: string) => report.sinks.find((s) => s.sink === sink)?.detail?.replace(/at \d{4}-\d\d-\d\dT[\d:.]+Z/g, 'at <time>');

test('the same day again with corrected data: every sink as documented', async () => {
  await orders('2024-01-05', 'O1,1.00\nO2,2.00\nO3,3.00\n');
  await orders('2024-01-06', 'O9,9.00\n');
  const first = await runDay(DAY);
  assert.equal(first.status, 'completed', first.error);
  assert.equal(first.workflowId, id);
  assert.equal((await runDay(OTHER_DAY)).status, 'completed');
  const requestsBefore = rx.requests;

  await orders('2024-01-05', 'O2,2.50\nO4,4.00\n'); // corrected: O1 and O3 were wrong, O2's amount too
  const again = await runDay(DAY);
  assert.equal(again.status, 'completed', again.error);
  assert.equal(again.workflowId, id);

  assert.deepEqual(await rows('rep'), ['O2 2.50', 'O4 4.00']);
  assert.equal(detailOf(again, 'rep'), 'replace again (an earlier run of this logical run loaded it at <time>)');
  assert.deepEqual(await rows('ups'), ['O1 1.00', 'O2 2.50', 'O3 3.00', 'O4 4.00', 'O9 9.00']); // upsert never deletes
  assert.deepEqual(await rows('app', ', ferry_run'), [`O2 2.50 ${id}`, `O4 4.00 ${id}`, `O9 9.00 ${pipeline}-2024-01-06T00:00:00Z`]);
  assert.equal(detailOf(again, 'app'), 'append, replacing the 3 rows an earlier run of this logical run loaded at <time>');
  assert.deepEqual(await rows('once'), ['O1 1.00', 'O2 2.00', 'O3 3.00', 'O9 9.00']);
  assert.equal(detailOf(again, 'once'), `skipped: an earlier run of ${id} loaded it at <time>, and an append sink loads each run once; set run_column on the sink to replace that run's rows when it runs again`);
  // No row twice anywhere (EXCEPT ALL of the table against its distinct rows is empty).
  for (const t of ['rep', 'ups', 'app', 'once']) {
    assert.deepEqual(await h.sql(`SELECT * FROM ${schema}.${t} EXCEPT ALL SELECT DISTINCT * FROM ${schema}.${t}`), [], t);
  }

  assert.equal(await h.s3Text('ferry-demo', `${prefix}/2024-01-05/orders.csv`), 'order_id,amount\nO2,2.50\nO4,4.00\n');
  assert.equal(await h.s3Text('ferry-demo', `${prefix}/2024-01-06/orders.csv`), 'order_id,amount\nO9,9.00\n');
  assert.equal(await readFile(join(dir, 'out', 'orders-2024-01-05.csv'), 'utf8'), 'order_id,amount\nO2,2.50\nO4,4.00\n');

  // The receiver was sent the re-run's batch under the first run's key, and kept the first delivery.
  assert.equal(rx.requests - requestsBefore, 1);
  assert.deepEqual(rx.received.filter((b) => b.key.startsWith(id)).map((b) => [b.key, b.records.map((r) => r.order_id)]), [
    [`${id}-api-1`, ['O1', 'O2']],
    [`${id}-api-2`, ['O3']],
  ]);
  assert.equal(detailOf(again, 'api'), '1 batch');
});

test('`ferry retry` of a re-run that failed at one sink does not load its postgres sinks again', async () => {
  await orders('2024-01-05', 'O5,5.00\n');
  rx.failBatch = () => 400;
  const failed = await runDay(DAY).catch(async () => (await h.client.workflow.getHandle(id).describe()).memo?.report as RunReport);
  assert.equal(failed.status, 'failed');
  assert.deepEqual(failed.sinks.filter((s) => s.status !== 'delivered').map((s) => s.sink), ['api']);
  assert.deepEqual(await rows('rep'), ['O5 5.00']);
  const ledger = async () => h.sql(`SELECT sink, rows::int, execution, loaded_at FROM ${schema}.ferry_loads WHERE run_id = $1 ORDER BY sink`, [id]);
  const before = await ledger();

  rx.failBatch = () => undefined;
  await orders('2024-01-05', 'O6,6.00\n'); // a retry continues the failed run with what it staged
  const retried = (await (await retryRun(h.client, id)).result()) as RunReport;
  assert.equal(retried.status, 'completed', retried.error);
  assert.deepEqual(retried.sinks.map((s) => [s.sink, s.detail?.startsWith('delivered by run ') ? 'delivered by the failed run' : s.detail]), [
    ['rep', 'delivered by the failed run'], ['ups', 'delivered by the failed run'], ['app', 'delivered by the failed run'], ['once', 'delivered by the failed run'],
    ['lake', 'delivered by the failed run'], ['flat', 'delivered by the failed run'], ['api', '1 batch'],
  ]);
  assert.deepEqual(await ledger(), before);
  assert.deepEqual(await rows('rep'), ['O5 5.00']);
  assert.deepEqual(await rows('app', ', ferry_run'), [`O5 5.00 ${id}`, `O9 9.00 ${pipeline}-2024-01-06T00:00:00Z`]);
});
