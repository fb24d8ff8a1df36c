/**
 * Faults mid-load, per mode, on the real PostgreSQL: the connection cut mid-COPY (tcp-proxy) and
 * the loading process SIGKILLed mid-COPY leave the table exactly as it was (no half-loaded table,
 * no leftover `__ferry_new`, no ferry_loads claim); the retry then loads exactly once, and a
 * further retry loads nothing.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { pgAdapters, type PgConn } from '../../support/pg-adapters.js';
import { startTcpProxy, type TcpProxy } from '../../support/tcp-proxy.js';
import { randomId } from '../../support/harness.js';
import { FerryError } from '../../../src/errors.js';
import type { TableEngine } from '../../../src/table/engine.js';

const s = `it7_pgfaults_${randomId()}`;
const OLD = 100_000;
const NEW = 300_000;
let db: Awaited<ReturnType<typeof pgAdapters>>;
let proxy: TcpProxy;
let viaProxy: PgConn;
let incoming: TableEngine;

before(async () => {
  db = await pgAdapters();
  proxy = await startTcpProxy({ host: db.conn.host, port: Number(db.conn.port) });
  viaProxy = { ...db.conn, host: '127.0.0.1', port: String(proxy.port) };
  await db.sql(`CREATE SCHEMA ${s}`);
  incoming = await db.engine();
  await incoming.run(`CREATE TABLE items AS SELECT i + 1000000 AS id, md5(i::VARCHAR) AS label, DATE '2024-01-01' + CAST(i % 3 AS INTEGER) AS day FROM range(${NEW}) r(i)`);
});
after(async () => {
  await proxy.close();
  await db.sql(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
  await db.close();
});

const MODES = { append: {}, replace: {}, upsert: { keys: ['id'] }, merge: { merge_keys: ['day'] } } as const;

/** A table `name` holding OLD rows (ids 1…OLD, days 2024-01-01…03), as a first load made it. */
async function seed(name: string, mode: keyof typeof MODES): Promise<void> {
  const t = await db.engine();
  await t.run(`CREATE TABLE items AS SELECT i + 1 AS id, 'old' AS label, DATE '2024-01-01' + CAST(i % 3 AS INTEGER) AS day FROM range(${OLD}) r(i)`);
  await db.write(t, { table: `${s}.${name}`, mode, ...MODES[mode] }, { runKey: `${name}-seed` });
}

/** What the table holds: count, id sum, how many old/new labels, and leftovers of a swap. */
const state = async (name: string) => (await db.sql(`SELECT count(*)::int AS n, sum(id)::text AS ids, count(*) FILTER (WHERE label = 'old')::int AS old,
  (SELECT count(*)::int FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = '${s}' AND c.relname LIKE '${name}__ferry%') AS leftovers,
  (SELECT count(*)::int FROM ${s}.ferry_loads WHERE target = '${s}.${name}') AS claims FROM ${s}.${name}`))[0];
const sumOf = (from: number, n: number) => String((n * (2 * from + n - 1)) / 2);
const UNTOUCHED = { n: OLD, ids: sumOf(1, OLD), old: OLD, leftovers: 0, claims: 1 };
/** Every mode ends with all NEW rows; append and upsert (disjoint ids) keep the old ones too; merge replaced every old day. */
const loaded = (mode: keyof typeof MODES) => (mode === 'append' || mode === 'upsert'
  ? { n: OLD + NEW, ids: String(BigInt(sumOf(1, OLD)) + BigInt(sumOf(1_000_000, NEW))), old: OLD, leftovers: 0, claims: 2 }
  : { n: NEW, ids: sumOf(1_000_000, NEW), old: 0, leftovers: 0, claims: 2 });

async function noBackendLoading(name: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const [{ n }] = (await db.sql<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE query ILIKE '%${name}%' AND query NOT ILIKE '%pg_stat_activity%' AND state <> 'idle'`)) as [{ n: number }];
    if (n === 0) return;
    await sleep(100);
  }
  assert.fail('the cut backend did not go away');
}

for (const mode of Object.keys(MODES) as (keyof typeof MODES)[]) {
  test(`${mode}: the connection cut mid-COPY leaves the table as it was; the retry loads exactly once`, async () => {
    const name = `cut_${mode}`;
    await seed(name, mode);
    proxy.restore();
    proxy.cutAfter(3_000_000);
    const runKey = `cut-${randomId()}`;
    const err = await db.write(incoming, { table: `${s}.${name}`, mode, ...MODES[mode] }, { conn: viaProxy, runKey }).then(() => assert.fail('should fail'), (e: unknown) => e);
    assert.ok(err instanceof FerryError, String(err));
    assert.equal(err.code, 'TRANSIENT');
    await noBackendLoading(name);
    assert.deepEqual(await state(name), UNTOUCHED);

    proxy.restore();
    const retry = await db.write(incoming, { table: `${s}.${name}`, mode, ...MODES[mode] }, { conn: viaProxy, runKey });
    assert.equal(retry.rows, NEW);
    assert.deepEqual(await state(name), loaded(mode));
    const again = await db.write(incoming, { table: `${s}.${name}`, mode, ...MODES[mode] }, { runKey });
    assert.equal(again.detail, 'already loaded by an earlier attempt');
    assert.deepEqual(await state(name), loaded(mode));
  });
}

for (const mode of ['replace', 'merge'] as const) {
  test(`${mode}: the loading process SIGKILLed mid-COPY leaves the table as it was; the retry loads exactly once`, async () => {
    const name = `kill_${mode}`;
    await seed(name, mode);
    const runKey = `kill-${randomId()}`;
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/integration/sinks/postgres-kill-child.ts', `${s}.${name}`, mode, String(NEW), runKey], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (b: Buffer) => {
        out += b.toString();
        if (out.includes('copying')) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.on('exit', () => reject(new Error(`the child ended before it was killed: ${out}`)));
    });
    await new Promise((r) => child.once('exit', r));
    assert.ok(!out.includes('done'), 'killed mid-load');
    await noBackendLoading(name);
    assert.deepEqual(await state(name), UNTOUCHED);

    const retry = await db.write(incoming, { table: `${s}.${name}`, mode, ...MODES[mode] }, { runKey });
    assert.equal(retry.rows, NEW);
    assert.deepEqual(await state(name), loaded(mode));
  });
}
