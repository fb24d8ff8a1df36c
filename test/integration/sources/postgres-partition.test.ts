/**
 * Partitioned reads through Temporal: `partition: { column, count }` on a postgres source reads
 * exactly the rows of the unpartitioned query (count, sum, no duplicates, NULLs in the partition
 * column kept), one ingest activity per part; above 32 parts child workflows read them; a worker
 * killed with SIGKILL mid-fan-out costs time, never rows. Read back in PostgreSQL with psql's SQL.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { startHarness, randomId } from '../../support/harness.js';
import { startFerryWorker } from '../../support/ferry-worker.js';
import type { RunReport } from '../../../src/run.js';

const s = `it7_pgpart_${randomId()}`;
const ROWS = 100_000;
let h: Awaited<ReturnType<typeof startHarness>>;
let dir: string;
const workers: ChildProcess[] = [];

before(async () => {
  h = await startHarness({ inProcessWorker: false });
  process.env.FERRY_CONNECTIONS = 'config/connections.yaml';
  dir = await mkdtemp(join(tmpdir(), 'ferry-pgpart-'));
  // Every 97th id and every 89th day is NULL; amounts are exact decimals.
  await h.sql(`CREATE SCHEMA ${s}; CREATE TABLE ${s}.src AS SELECT k, CASE WHEN k % 97 = 0 THEN NULL ELSE k * 3 END AS id,
    CASE WHEN k % 89 = 0 THEN NULL ELSE date '2020-01-01' + (k % 1500) END AS day, (k % 1000) * 1.25 AS amount, md5(k::text) AS label
    FROM generate_series(1, ${ROWS}) k`);
  await startFerryWorker(h, workers);
});
after(async () => {
  for (const w of workers) w.kill('SIGKILL');
  await h.sql(`DROP SCHEMA IF EXISTS ${s} CASCADE`).catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
  await h.stop();
});

async function pipeline(name: string, partition: string, table: string): Promise<string> {
  const file = join(dir, `${name}.yaml`);
  await writeFile(file, `name: ${name}
sources:
  src:
    type: postgres
    connection: warehouse
    query: SELECT k, id, day, amount, label FROM ${s}.src WHERE label <> $1
    params: ["it's not \\\\ a $$ label"]
    partition: ${partition}
sinks:
  out: { type: postgres, connection: warehouse, input: src, table: ${s}.${table} }
`);
  return file;
}

async function assertExactRows(table: string): Promise<void> {
  assert.deepEqual(await h.sql(`SELECT count(*)::int AS n, count(DISTINCT k)::int AS keys, sum(k)::text AS total, count(*) FILTER (WHERE id IS NULL)::int AS null_ids,
    count(*) FILTER (WHERE day IS NULL)::int AS null_days FROM ${s}.${table}`),
  [{ n: ROWS, keys: ROWS, total: String((ROWS * (ROWS + 1)) / 2), null_ids: Math.floor(ROWS / 97), null_days: Math.floor(ROWS / 89) }]);
  assert.deepEqual(await h.sql(`SELECT count(*)::int AS n FROM ((SELECT k, id, day, amount, label FROM ${s}.src EXCEPT ALL SELECT k, id, day, amount, label FROM ${s}.${table})
    UNION ALL (SELECT k, id, day, amount, label FROM ${s}.${table} EXCEPT ALL SELECT k, id, day, amount, label FROM ${s}.src)) d`), [{ n: 0 }]);
}

async function activities(handle: WorkflowHandle): Promise<{ types: string[]; children: string[] }> {
  const history = await handle.fetchHistory();
  return {
    types: history.events!.flatMap((e) => (e.activityTaskScheduledEventAttributes ? [e.activityTaskScheduledEventAttributes.activityType!.name!] : [])),
    children: history.events!.flatMap((e) => (e.startChildWorkflowExecutionInitiatedEventAttributes ? [e.startChildWorkflowExecutionInitiatedEventAttributes.workflowId!] : [])),
  };
}

const count = (xs: string[], x: string) => xs.filter((y) => y === x).length;

test('100k rows in 8 ranges of a column with NULLs: exactly the rows, one ingest activity per part, no child workflows', async () => {
  const handle = await h.start(await pipeline('part8', '{ column: id, count: 8 }', 'by_id'));
  const report = (await handle.result()) as RunReport;
  assert.equal(report.status, 'completed');
  await assertExactRows('by_id');
  const { types, children } = await activities(handle);
  assert.deepEqual([count(types, 'planParts'), count(types, 'ingest'), count(types, 'combineParts')], [1, 8, 1]);
  assert.deepEqual(children, []);
});

test('40 ranges of a date column: child workflows of at most 32 parts, exactly the rows', async () => {
  const handle = await h.start(await pipeline('part40', '{ column: day, count: 40, concurrency: 6 }', 'by_day'));
  const report = (await handle.result()) as RunReport;
  assert.equal(report.status, 'completed');
  await assertExactRows('by_day');
  const { types, children } = await activities(handle);
  assert.deepEqual(types.filter((t) => t !== 'deliver'), ['planParts', 'combineParts', 'finishRun'], 'the parent runs no part itself');
  assert.deepEqual(children, [`${handle.workflowId}/src/parts-1-of-2`, `${handle.workflowId}/src/parts-2-of-2`]);
  const inChildren = await Promise.all(children.map((id) => activities(h.client.workflow.getHandle(id))));
  assert.deepEqual(inChildren.map((c) => count(c.types, 'ingest')), [32, 8]);
});

test('a worker killed with SIGKILL mid-fan-out is replaced and the run ends with exactly the rows', async () => {
  const handle = await h.start(await pipeline('partkill', '{ column: k, count: 12, concurrency: 2 }', 'killed'));
  await h.waitFor('two parts to finish', async () => {
    const history = await handle.fetchHistory();
    return history.events!.filter((e) => e.activityTaskCompletedEventAttributes).length >= 3;
  }, 120_000);
  const first = workers.at(-1)!;
  first.kill('SIGKILL');
  await once(first, 'exit');
  await startFerryWorker(h, workers);
  const report = (await handle.result()) as RunReport;
  assert.equal(report.status, 'completed');
  await assertExactRows('killed');
  const { types } = await activities(handle);
  assert.equal(count(types, 'ingest'), 12);
});
