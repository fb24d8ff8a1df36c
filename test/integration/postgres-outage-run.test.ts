/**
 * End to end through Temporal, with the defaults a user gets: the PostgreSQL connection of a sink
 * drops in the middle of its COPY, and that of a source in the middle of its read. The in-process worker survives (a crash would end this test),
 * the deliver activity fails its attempt as TRANSIENT, Temporal retries it, and the run completes
 * with every row loaded exactly once.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHarness, randomId } from '../support/harness.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import type { WorkflowHandle } from '@temporalio/client';
import type { RunReport } from '../../src/run.js';

const s = `ferry_outage_${randomId()}`;
const ROWS = 300_000;
let h: Awaited<ReturnType<typeof startHarness>>;
let proxy: TcpProxy;
let dir: string;

before(async () => {
  h = await startHarness();
  proxy = await startTcpProxy({ host: '127.0.0.1', port: 5432 });
  dir = await mkdtemp(join(tmpdir(), 'ferry-outage-'));
  await h.sql(`CREATE SCHEMA ${s}; CREATE TABLE ${s}.big AS SELECT i AS id, md5(i::text) AS label FROM generate_series(1, ${ROWS}) i`);
  const database = process.env.FERRY_PG_DATABASE ?? 'test';
  await writeFile(join(dir, 'connections.yaml'), [
    `direct: { type: postgres, host: 127.0.0.1, port: 5432, database: ${database} }`,
    `flaky: { type: postgres, host: 127.0.0.1, port: ${proxy.port}, database: ${database} }`,
  ].join('\n'));
  await writeFile(join(dir, 'outage.yaml'), [
    'name: outage',
    'sources:',
    `  big: { type: postgres, connection: direct, query: 'SELECT * FROM ${s}.big' }`,
    'sinks:',
    `  copied: { type: postgres, connection: flaky, input: big, table: ${s}.copied }`,
  ].join('\n'));
  await writeFile(join(dir, 'outage-read.yaml'), [
    'name: outage_read',
    'sources:',
    `  big: { type: postgres, connection: flaky, query: 'SELECT * FROM ${s}.big', batch_size: 5000 }`,
    'sinks:',
    `  copied: { type: postgres, connection: direct, input: big, table: ${s}.read_copy }`,
  ].join('\n'));
  process.env.FERRY_CONNECTIONS = join(dir, 'connections.yaml');
});

after(async () => {
  delete process.env.FERRY_CONNECTIONS;
  await proxy.close();
  await h.sql(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
  await h.stop();
  await rm(dir, { recursive: true, force: true });
});

/** The failure that each second (or later) attempt of an activity in the run's history follows. */
async function retriedFailures(handle: WorkflowHandle) {
  return ((await handle.fetchHistory()).events ?? []).flatMap((e) => {
    const started = e.activityTaskStartedEventAttributes;
    return started && (started.attempt ?? 1) >= 2 ? [started.lastFailure] : [];
  });
}

test('a sink whose connection drops mid-COPY is retried by Temporal and the run loads every row once', async () => {
  proxy.cutAfter(4_000_000); // about a third of the COPY
  const handle = await h.start(join(dir, 'outage.yaml'));
  await h.waitFor('the connection to be cut', () => proxy.cuts > 0, 120_000);
  proxy.restore();
  const report = (await handle.result()) as RunReport;
  assert.equal(report.status, 'completed');

  assert.deepEqual(await h.sql(`SELECT count(*)::int AS n, count(DISTINCT id)::int AS ids, sum(id)::text AS total FROM ${s}.copied`),
    [{ n: ROWS, ids: ROWS, total: String((ROWS * (ROWS + 1)) / 2) }]);
  assert.deepEqual(await h.sql(`SELECT run_id, sink, rows::int FROM ${s}.ferry_loads`), [{ run_id: handle.workflowId, sink: 'copied', rows: ROWS }]);

  const retried = await retriedFailures(handle);
  assert.equal(retried.length, 1, 'the deliver activity ran a second attempt');
  assert.equal(retried[0]?.applicationFailureInfo?.type, 'TRANSIENT');
  assert.match(retried[0]?.message ?? '', new RegExp(`sink copied, table ${s}\\.copied: PostgreSQL: `));
});

test('a source whose connection drops mid-read is retried by Temporal and the run loads every row once', async () => {
  proxy.restore();
  proxy.cutAfterReply(4_000_000); // about a third of the rows
  const handle = await h.start(join(dir, 'outage-read.yaml'));
  await h.waitFor('the connection to be cut', () => proxy.cuts > 1, 120_000);
  proxy.restore();
  const report = (await handle.result()) as RunReport;
  assert.equal(report.status, 'completed');

  assert.deepEqual(await h.sql(`SELECT count(*)::int AS n, count(DISTINCT id)::int AS ids, sum(id)::text AS total FROM ${s}.read_copy`),
    [{ n: ROWS, ids: ROWS, total: String((ROWS * (ROWS + 1)) / 2) }]);
  const retried = await retriedFailures(handle);
  assert.equal(retried.length, 1, 'the ingest activity ran a second attempt');
  assert.equal(retried[0]?.applicationFailureInfo?.type, 'TRANSIENT');
});
