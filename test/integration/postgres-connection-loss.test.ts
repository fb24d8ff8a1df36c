/**
 * A PostgreSQL connection that drops while the source or the sink holds it fails the attempt
 * (TRANSIENT, retried), never the process: this test runs in-process, so a crash of the kind an
 * unhandled pg Client 'error' event causes fails it. The next attempt, after the network is back,
 * delivers the exact rows: no duplicates, no gaps. Cancellation stops a running query.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { pgAdapters, type PgConn } from '../support/pg-adapters.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { randomId } from '../support/harness.js';
import { FerryError } from '../../src/errors.js';

const s = `ferry_loss_${randomId()}`;
const ROWS = 300_000;
let pg: Awaited<ReturnType<typeof pgAdapters>>;
let proxy: TcpProxy;
let viaProxy: PgConn;
const crashes: unknown[] = [];
const onCrash = (err: unknown) => crashes.push(err);

before(async () => {
  pg = await pgAdapters();
  proxy = await startTcpProxy({ host: pg.conn.host, port: Number(pg.conn.port) });
  viaProxy = { ...pg.conn, host: '127.0.0.1', port: String(proxy.port) };
  await pg.sql(`CREATE SCHEMA ${s}; CREATE TABLE ${s}.big AS SELECT i AS id, md5(i::text) AS label FROM generate_series(1, ${ROWS}) i`);
  // Belt and braces: record what would otherwise kill the process, and fail the test on it.
  process.on('uncaughtException', onCrash);
});

after(async () => {
  process.off('uncaughtException', onCrash);
  await proxy.close();
  await pg.sql(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
  await pg.close();
});

const failure = (p: Promise<unknown>) => p.then(() => assert.fail('should fail'), (e: unknown) => e);

test('the connection drops mid-read: a TRANSIENT failure, and the next attempt reads every row once', async () => {
  proxy.restore();
  const seen: string[] = [];
  const err = await failure(pg.read(`SELECT * FROM ${s}.big ORDER BY id`, {}, {
    conn: viaProxy,
    progress: (p) => {
      seen.push(p.note ?? '');
      // COPY reports every megabyte it has streamed (of about 13): cut the connection after the first.
      if (/^COPY \d/.test(p.note ?? '')) proxy.cut();
    },
  }));
  await sleep(200); // an unhandled 'error' event would surface by now
  assert.deepEqual(crashes, []);
  assert.ok(err instanceof FerryError, String(err));
  assert.equal(err.code, 'TRANSIENT');
  assert.match(err.message, /^PostgreSQL: (Connection terminated unexpectedly|(read|write) (ECONNRESET|EPIPE))/);
  assert.ok(seen.length >= 1 && !seen.some((n) => n.startsWith('loading')), `the read stopped mid-COPY: ${seen.join(', ')}`);

  proxy.restore();
  const table = await pg.read(`SELECT * FROM ${s}.big`, {}, { conn: viaProxy });
  assert.deepEqual(await table.rows(`SELECT count(*)::INTEGER AS n, count(DISTINCT id)::INTEGER AS ids, sum(id)::BIGINT AS total FROM items`),
    [{ n: ROWS, ids: ROWS, total: (ROWS * (ROWS + 1)) / 2 }]);
});

test('the connection drops mid-COPY: a TRANSIENT failure, nothing loaded, and the retry loads every row once', async () => {
  proxy.restore();
  const source = await pg.read(`SELECT * FROM ${s}.big`, {}, {});
  const runKey = `loss-${randomId()}`;
  proxy.cutAfter(4_000_000); // about a third of the CSV
  const err = await failure(pg.write(source, { table: `${s}.copied` }, { conn: viaProxy, runKey }));
  await sleep(200);
  assert.deepEqual(crashes, []);
  assert.ok(err instanceof FerryError, String(err));
  assert.equal(err.code, 'TRANSIENT');
  assert.match(err.message, /^sink db, table ferry_loss_\w+\.copied: PostgreSQL: /);
  // The table was created (DDL commits on its own), the load was rolled back with its connection.
  await waitFor(async () => (await pg.sql(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE 'COPY %copied%' AND pid <> pg_backend_pid()`))[0]!.n === 0);
  assert.deepEqual(await pg.sql(`SELECT count(*)::int AS n FROM ${s}.copied`), [{ n: 0 }]);

  proxy.restore();
  const notes: string[] = [];
  const result = await pg.write(source, { table: `${s}.copied` }, { conn: viaProxy, runKey, progress: (p) => notes.push(p.note ?? '') });
  assert.deepEqual(result, { target: `postgres ${s}.copied`, rows: ROWS, detail: 'append' });
  assert.match(notes[0] ?? '', /^COPY 8\.\d MB sent$/, 'a long COPY reports its progress');
  assert.deepEqual(await pg.sql(`SELECT count(*)::int AS n, count(DISTINCT id)::int AS ids, sum(id)::text AS total FROM ${s}.copied`),
    [{ n: ROWS, ids: ROWS, total: String((ROWS * (ROWS + 1)) / 2) }]);
  assert.deepEqual(await pg.sql(`SELECT run_id, rows::int FROM ${s}.ferry_loads`), [{ run_id: runKey, rows: ROWS }]);
});

test('a connection that cannot be made at all is TRANSIENT too', async () => {
  proxy.cut();
  const err = await failure(pg.read(`SELECT 1 AS one`, {}, { conn: viaProxy }));
  assert.ok(err instanceof FerryError, String(err));
  assert.equal(err.code, 'TRANSIENT');
  proxy.restore();
});

test('an aborted activity cancels its running query', async () => {
  const controller = new AbortController();
  const reason = new Error('activity cancelled');
  const started = Date.now();
  setTimeout(() => controller.abort(reason), 300);
  const err = await failure(pg.read(`SELECT pg_sleep(30) AS slept /* ferry-cancel-test */`, {}, { signal: controller.signal }));
  assert.equal(err, reason);
  assert.ok(Date.now() - started < 5000, 'stopped long before the query would end');
  await waitFor(async () => (await pg.sql(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE '%ferry-cancel-test%' AND state = 'active' AND pid <> pg_backend_pid()`))[0]!.n === 0);
});

async function waitFor(check: () => Promise<boolean>, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) assert.fail('condition not met in time');
    await sleep(50);
  }
}
