/**
 * Benchmark of the postgres sink alone (not a test): N rows in DuckDB loaded into PostgreSQL per
 * mode, next to `psql \copy` of the same rows as CSV. Prints seconds and the ratio.
 *
 *   node --import tsx bench/pg-sink-modes.ts [rows=1000000] [modes=append,replace,upsert,merge]
 *
 * Needs PostgreSQL at 127.0.0.1:5432 (database FERRY_PG_DATABASE, default test) and psql.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { TableEngine } from '../src/table/engine.js';
import { postgresSink } from '../activities/sinks/postgres.js';
import type { SinkContext } from '../activities/adapter.js';
import { postgresConnectionSchema } from '../src/connect/connections.js';
import { pgPool, closePgPools } from '../src/connect/pg.js';

const rows = Number(process.argv[2] ?? 1_000_000);
const modes = (process.argv[3] ?? 'append,replace,upsert,merge').split(',');
const database = process.env.FERRY_PG_DATABASE ?? 'test';
const conn = postgresConnectionSchema.parse({ type: 'postgres', database });
const pool = pgPool(conn);
const s = `bench_pgsink_${process.pid}`;
const dir = await mkdtemp(join(tmpdir(), 'ferry-bench-'));
const csv = join(dir, 'events.csv');
const seconds = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e9;

const table = await TableEngine.open(join(dir, 'ferry'), { allowDirectories: [dir] });
await table.run(`CREATE TABLE events AS SELECT i AS id, 'cat_' || (i % 97) AS category, round(random() * 1000, 2) AS amount,
  TIMESTAMP '2024-01-01' + to_seconds(i) AS ts, CAST(DATE '2024-01-01' + CAST(i % 30 AS INTEGER) AS DATE) AS day, md5(i::VARCHAR) AS note FROM range(${rows}) t(i)`);
await table.run(`COPY events TO '${csv}' (FORMAT csv, HEADER true)`);
await pool.query(`CREATE SCHEMA ${s}; CREATE TABLE ${s}.psql (id bigint, category text, amount double precision, ts timestamp, day date, note text)`);

let t0 = process.hrtime.bigint();
execFileSync('psql', ['-h', '127.0.0.1', '-U', 'postgres', '-d', database, '-q', '-c', `\\copy ${s}.psql FROM '${csv}' WITH (FORMAT csv, HEADER true)`]);
const psql = seconds(t0);
console.log(`pg sink: ${rows.toLocaleString('en-US')} rows; psql \\copy ${psql.toFixed(2)} s`);
for (const mode of modes) {
  const extra = mode === 'upsert' ? { keys: ['id'] } : mode === 'merge' ? { merge_keys: ['day'] } : {};
  for (const pass of [1, 2]) {
    const ctx = { workdir: dir, table, connections: {}, signal: new AbortController().signal, progress: () => undefined, resume: undefined,
      runKey: `${mode}-${pass}`, generation: '', runStartedAt: new Date().toISOString(), connection: () => conn, sink: mode, dataset: 'events', rows } as unknown as SinkContext;
    t0 = process.hrtime.bigint();
    await postgresSink.write(postgresSink.schema.parse({ type: 'postgres', connection: 'bench', input: 'events', table: `${s}.t_${mode}`, mode, ...extra }), ctx);
    const t = seconds(t0);
    console.log(`  ${mode.padEnd(8)} pass ${pass} (${pass === 1 ? 'new table' : 'into the loaded table'}) ${t.toFixed(2)} s  ${(t / psql).toFixed(2)}× psql`);
  }
}
console.log(`  peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
table.close();
await pool.query(`DROP SCHEMA ${s} CASCADE`);
await closePgPools();
await rm(dir, { recursive: true, force: true });
