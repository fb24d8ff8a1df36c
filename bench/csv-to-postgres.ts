/**
 * Benchmark: a CSV file loaded into a PostgreSQL table, Ferry's way (file source → Parquet in the
 * staging store → postgres sink with COPY in one transaction) next to the baseline `psql \copy` of
 * the same file, in the same run. Prints rows/s and the peak RSS of this process.
 *
 *   node --import tsx bench/csv-to-postgres.ts [rows=1000000]
 *
 * Needs PostgreSQL at 127.0.0.1:5432 (database from FERRY_PG_DATABASE, default test) and psql.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { TableEngine } from '../src/table/engine.js';
import { fileSource } from '../activities/sources/file.js';
import { postgresSink } from '../activities/sinks/postgres.js';
import type { SinkContext, SourceContext } from '../activities/adapter.js';
import { postgresConnectionSchema } from '../src/connect/connections.js';
import { pgPool, closePgPools } from '../src/connect/pg.js';

const rows = Number(process.argv[2] ?? 1_000_000);
const database = process.env.FERRY_PG_DATABASE ?? 'test';
const conn = postgresConnectionSchema.parse({ type: 'postgres', database });
const pool = pgPool(conn);
const dir = await mkdtemp(join(tmpdir(), 'ferry-bench-'));
process.env.FERRY_FILE_ROOTS = dir; // the file source reads the generated CSV here
const csv = join(dir, 'events.csv');

const seconds = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e9;
const rate = (n: number, s: number) => `${Math.round(n / s).toLocaleString('en-US')} rows/s`;

// Input: ids, a category, an amount, a timestamp and some text.
const gen = await TableEngine.open(join(dir, 'gen'), { allowDirectories: [dir] });
await gen.run(`COPY (SELECT i AS id, 'cat_' || (i % 97) AS category, round(random() * 1000, 2) AS amount,
  TIMESTAMP '2024-01-01' + to_seconds(i) AS ts, md5(i::VARCHAR) AS note FROM range(${rows}) t(i)) TO '${csv}' (FORMAT csv, HEADER true)`);
gen.close();
const mb = ((await stat(csv)).size / 1e6).toFixed(1);

await pool.query('CREATE SCHEMA IF NOT EXISTS bench; DROP TABLE IF EXISTS bench.events_psql, bench.events_ferry, bench.ferry_loads');
await pool.query('CREATE TABLE bench.events_psql (id bigint, category text, amount double precision, ts timestamp, note text)');

// Baseline: psql \copy of the same file.
let t0 = process.hrtime.bigint();
execFileSync('psql', ['-h', '127.0.0.1', '-U', 'postgres', '-d', database, '-q', '-c', `\\copy bench.events_psql FROM '${csv}' WITH (FORMAT csv, HEADER true)`]);
const psqlSeconds = seconds(t0);

// Ferry: the same adapters the activities run (no Temporal round trips in the figure).
const table = await TableEngine.open(join(dir, 'ferry'), { allowDirectories: [dir] });
const base = { workdir: dir, table, connections: {}, signal: new AbortController().signal, progress: () => undefined, resume: undefined, runKey: 'bench', connection: () => conn };
t0 = process.hrtime.bigint();
await fileSource.read(fileSource.schema.parse({ type: 'file', path: csv }), { ...base, dataset: 'events' } as unknown as SourceContext);
const readSeconds = seconds(t0);
t0 = process.hrtime.bigint();
const stats = await table.exportParquet('events', join(dir, 'staging', 'events.parquet'));
const stageSeconds = seconds(t0);
await table.loadParquet('staged', join(dir, 'staging', 'events.parquet'));
t0 = process.hrtime.bigint();
await postgresSink.write(postgresSink.schema.parse({ type: 'postgres', connection: 'bench', input: 'staged', table: 'bench.events_ferry' }),
  { ...base, sink: 'bench', dataset: 'staged', rows: stats.rows } as unknown as SinkContext);
const loadSeconds = seconds(t0);
table.close();

const [check] = (await pool.query('SELECT (SELECT count(*) FROM bench.events_ferry) AS ferry, (SELECT count(*) FROM bench.events_psql) AS psql')).rows as { ferry: string; psql: string }[];
const total = readSeconds + stageSeconds + loadSeconds;
console.log(`csv-to-postgres: ${rows.toLocaleString('en-US')} rows, ${mb} MB CSV, database ${database}`);
console.log(`  psql \\copy (baseline)         ${psqlSeconds.toFixed(2)} s   ${rate(rows, psqlSeconds)}`);
console.log(`  ferry file source (csv→duckdb) ${readSeconds.toFixed(2)} s`);
console.log(`  ferry staging (→ parquet)      ${stageSeconds.toFixed(2)} s   ${(stats.bytes / 1e6).toFixed(1)} MB`);
console.log(`  ferry postgres sink (COPY)     ${loadSeconds.toFixed(2)} s`);
console.log(`  ferry total                    ${total.toFixed(2)} s   ${rate(rows, total)}   (${(total / psqlSeconds).toFixed(2)}× psql)`);
console.log(`  rows loaded: ferry ${check!.ferry}, psql ${check!.psql}; peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);

await pool.query('DROP SCHEMA bench CASCADE');
await closePgPools();
await rm(dir, { recursive: true, force: true });
