/**
 * Benchmark, end to end: `ferry run --wait` on the real services (Temporal, MinIO, PostgreSQL) with a
 * real `ferry worker` process, next to the shell pipeline a user would write instead, in the same run:
 *
 *   s3-pg   S3 CSV → PostgreSQL    aws s3 cp s3://… - | psql -c "\copy t FROM STDIN (FORMAT csv, HEADER)"
 *   pg-s3   PostgreSQL → S3 CSV    psql -c "\copy (SELECT …) TO STDOUT (FORMAT csv, HEADER)" | aws s3 cp - s3://…
 *
 *   node --import tsx bench/e2e.ts [--rows 1000000,10000000] [--case s3-pg,pg-s3] [--repeat 1] [--staging local|s3] [--keep]
 *
 * Needs the services (`eval "$(bash scripts/services.sh env)"` or `ferry dev`), psql
 * and the AWS CLI (`aws`, with AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY of MinIO). Uses its own
 * PostgreSQL schema (bench_e2e) and bucket (ferry-bench-e2e), dropped at the end unless --keep.
 *
 * Each case gets a fresh worker (`ferry worker --log-format json`) whose peak RSS is read from
 * /proc/<pid>/status (VmHWM, reset once the worker polls, so bundling the workflows at start-up does
 * not count; VmRSS is sampled too). Printed per case: rows, Ferry's wall time (`ferry run --wait`
 * start to exit), the workflow's own duration and each stage's (from its report), the activities'
 * durations (from the worker's log), the shell pipeline's time, the ratio, the worker's peak RSS,
 * the CPU seconds of the client side (the worker and `ferry run`; aws and psql), and the check:
 * both targets hold the same rows (count + an order-independent checksum of every
 * row's text, computed by PostgreSQL; S3 objects are loaded back with psql \copy to be checked).
 *
 * `--repeat N` runs each side N times, alternating, and keeps the fastest of each: on a shared
 * machine the load moves between runs, and the best of a few is the figure least bent by it.
 *
 * Data: generated once per row count with DuckDB (bigint ids, an id beyond 2^53, numeric(12,2) with
 * negatives, text with NULLs, empty strings, commas and quotes, timestamptz with milliseconds, dates
 * with NULLs, integers, booleans).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile, readFile } from 'node:fs/promises';
import { tmpdir, loadavg, cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { TableEngine } from '../src/table/engine.js';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
};
const ROWS = arg('rows', '1000000').split(',').map((s) => Number(s.replace(/_/g, '')));
const CASES = arg('case', 's3-pg,pg-s3').split(',') as ('s3-pg' | 'pg-s3')[];
const STAGING = arg('staging', 'local');
const KEEP = process.argv.includes('--keep');
const REPEAT = Number(arg('repeat', '1'));
for (const c of CASES) if (c !== 's3-pg' && c !== 'pg-s3') throw new Error(`unknown case ${c}: s3-pg or pg-s3`);

const repo = resolve(import.meta.dirname, '..');
const database = process.env.FERRY_PG_DATABASE ?? 'test';
const endpoint = process.env.S3_ENDPOINT ?? 'http://127.0.0.1:9000';
const bucket = 'ferry-bench-e2e';
const schema = 'bench_e2e';
const dir = await mkdtemp(join(tmpdir(), 'ferry-e2e-'));
const env: NodeJS.ProcessEnv = {
  ...process.env,
  FERRY_PG_DATABASE: database,
  FERRY_CONNECTIONS: join(repo, 'config/connections.yaml'),
  FERRY_STAGING: STAGING === 's3' ? `s3://${bucket}/staging` : join(dir, 'staging'),
  FERRY_STAGING_S3_ENDPOINT: endpoint,
  AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'ferry',
  AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'ferry-secret',
  AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
  FERRY_LOG_LEVEL: 'ERROR',
};

const DDL = `(id bigint, ext_id bigint, amount numeric(12,2), name text, note text, created_at timestamptz, day date, qty bigint, active boolean)`;

/** Runs a bash pipeline: its wall time and the CPU seconds of its processes (GNU time). */
const sh = (script: string): { seconds: number; cpu: number; stdout: string } => {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', 'cpu %U %S', 'bash', '-o', 'pipefail', '-c', script], { env, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`failed (${r.status}): ${script}\n${r.stderr}`);
  const [, user, system] = /cpu ([\d.]+) ([\d.]+)\s*$/.exec(r.stderr) ?? [];
  return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, cpu: Number(user) + Number(system), stdout: r.stdout };
};
const psql = (sql: string): string => sh(`psql -X -q -h 127.0.0.1 -U postgres -d ${database} -At -v ON_ERROR_STOP=1 -c ${shq(sql)}`).stdout.trim();
const shq = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
const aws = `aws --endpoint-url ${endpoint} s3`;
const psqlCmd = `psql -X -q -h 127.0.0.1 -U postgres -d ${database} -v ON_ERROR_STOP=1`;

/** Rows and an order-independent checksum of every row's text: PostgreSQL's own rendering of the values. */
const checksum = (table: string): string =>
  psql(`SELECT count(*) || ' rows, checksum ' || coalesce(sum(('x' || substr(md5(t::text), 1, 15))::bit(60)::bigint), 0) FROM ${table} t`);

/** The CSV of `rows` rows, generated once with DuckDB. */
async function generate(rows: number): Promise<string> {
  const csv = join(dir, `rows-${rows}.csv`);
  const gen = await TableEngine.open(join(dir, 'gen'), { allowDirectories: [dir] });
  await gen.run(`COPY (SELECT i AS id, 9000000000000000000 + i AS ext_id,
      (((hash(i) % 2000000000)::BIGINT - 1000000000)::DECIMAL(12,0) / 100)::DECIMAL(12,2) AS amount,
      CASE i % 50 WHEN 0 THEN NULL WHEN 1 THEN '' ELSE 'customer ' || i END AS name,
      CASE WHEN i % 10 = 0 THEN 'says "hi", then leaves' ELSE 'note ' || (i % 1000) END AS note,
      TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_milliseconds(i * 1001) AS created_at,
      CASE WHEN i % 97 = 0 THEN NULL ELSE DATE '2020-01-01' + (i % 3000)::INT END AS day,
      (i % 1000 - 500)::INTEGER AS qty, i % 3 = 0 AS active
    FROM range(1, ${rows} + 1) t(i)) TO '${csv}' (FORMAT csv, HEADER true)`);
  gen.close();
  return csv;
}

type Worker = { child: ChildProcess; log: Record<string, unknown>[]; peakRss: () => number; cpu: () => Promise<number>; stop: () => Promise<void> };

/** A `ferry worker` process on its own task queue, its VmHWM reset once it polls. */
async function startWorker(queue: string): Promise<Worker> {
  const child = spawn(process.execPath, ['bin/ferry.js', 'worker', '--task-queue', queue, '--log-format', 'json'], { cwd: repo, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const log: Record<string, unknown>[] = [];
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const ready = new Promise<void>((res, rej) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      let nl: number;
      while ((nl = out.indexOf('\n')) >= 0) {
        const line = out.slice(0, nl);
        out = out.slice(nl + 1);
        try {
          const entry = JSON.parse(line) as Record<string, unknown>;
          if (entry.durationMs !== undefined) log.push(entry);
        } catch {
          // a text line
        }
        if (line.includes('ferry worker on task queue')) res();
      }
    });
    child.on('exit', (code) => rej(new Error(`the worker exited (${code}): ${err}`)));
  });
  await ready;
  const status = `/proc/${child.pid}/status`;
  const kb = async (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(await readFile(status, 'utf8'))?.[1] ?? 0);
  await writeFile(`/proc/${child.pid}/clear_refs`, '5').catch(() => undefined); // VmHWM := VmRSS
  let sampled = 0;
  const timer = setInterval(() => void kb('VmRSS').then((v) => (sampled = Math.max(sampled, v)), () => undefined), 100);
  let hwm = 0;
  const ticks = async () => {
    const fields = (await readFile(`/proc/${child.pid}/stat`, 'utf8')).replace(/^.*\) /, '').split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks of 1/100 s
  };
  return {
    child,
    log,
    peakRss: () => Math.max(hwm, sampled),
    cpu: ticks,
    stop: async () => {
      hwm = await kb('VmHWM').catch(() => 0);
      clearInterval(timer);
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

type Report = { durationMs?: number; status: string; stages: { stage: string; status: string; durationMs?: number }[] };

/** `ferry run --wait`, timed from start to exit; the run's report read back from Temporal. */
async function ferryRun(pipeline: string, queue: string, id: string): Promise<{ seconds: number; cpu: number; report: Report }> {
  const r = sh(`cd ${shq(repo)} && ${shq(process.execPath)} bin/ferry.js run ${shq(pipeline)} --wait --task-queue ${queue} --id ${id}`);
  const { connectClient } = await import('../src/client.js');
  const client = await connectClient();
  const report = (await client.workflow.getHandle(id).result()) as Report;
  await client.connection.close();
  return { seconds: r.seconds, cpu: r.cpu, report };
}

const fmt = (s: number) => `${s.toFixed(2)} s`;
const stagesOf = (r: Report) => r.stages.filter((s) => s.status !== 'skipped').map((s) => `${s.stage} ${((s.durationMs ?? 0) / 1000).toFixed(2)}s`).join(', ');
const activitiesOf = (log: Record<string, unknown>[]) => log.map((e) => `${String(e.activity)}${e.dataset ? ` ${String(e.dataset)}` : ''}${e.sink ? ` ${String(e.sink)}` : ''} ${(Number(e.durationMs) / 1000).toFixed(2)}s`).join(', ');

type Result = { kase: string; rows: number; ferry: number; workflow: number; shell: number; rss: number; same: boolean };
const results: Result[] = [];

async function runCase(kase: 's3-pg' | 'pg-s3', rows: number, csv: string): Promise<void> {
  const pipeline = join(dir, `${kase}.yaml`);
  let shellRun: () => { seconds: number; cpu: number };
  let check: () => [string, string];
  const fresh = (table: string) => psql(`DROP TABLE IF EXISTS ${schema}.${table}; CREATE TABLE ${schema}.${table} ${DDL}`);
  if (kase === 's3-pg') {
    await writeFile(pipeline, `name: bench_s3_pg
sources:
  rows: { type: s3, connection: lake, bucket: ${bucket}, key: in/rows-${rows}.csv }
sinks:
  pg: { type: postgres, connection: warehouse, input: rows, table: ${schema}.ferry_in }
`);
    shellRun = () => {
      fresh('shell_in');
      return sh(`${aws} cp s3://${bucket}/in/rows-${rows}.csv - | ${psqlCmd} -c "\\copy ${schema}.shell_in FROM STDIN (FORMAT csv, HEADER)"`);
    };
    check = () => [checksum(`${schema}.ferry_in`), checksum(`${schema}.shell_in`)];
  } else {
    await writeFile(pipeline, `name: bench_pg_s3
sources:
  rows: { type: postgres, connection: warehouse, query: 'SELECT * FROM ${schema}.src' }
sinks:
  lake: { type: s3, connection: lake, input: rows, bucket: ${bucket}, key: out/ferry-${rows}.csv }
`);
    shellRun = () => sh(`${psqlCmd} -c "\\copy (SELECT * FROM ${schema}.src) TO STDOUT (FORMAT csv, HEADER)" | ${aws} cp - s3://${bucket}/out/shell-${rows}.csv`);
    check = () => {
      const back = (who: string) => {
        fresh('back');
        sh(`${aws} cp s3://${bucket}/out/${who}-${rows}.csv - | ${psqlCmd} -c "\\copy ${schema}.back FROM STDIN (FORMAT csv, HEADER)"`);
        return checksum(`${schema}.back`);
      };
      return [back('ferry'), back('shell')];
    };
  }
  let shell = { seconds: Infinity, cpu: 0 };
  let ferry = { seconds: Infinity, cpu: 0, workerCpu: 0, rss: 0, report: undefined as Report | undefined, log: [] as Record<string, unknown>[] };
  for (let i = 0; i < REPEAT; i++) {
    const s = shellRun();
    if (s.seconds < shell.seconds) shell = s;
    if (kase === 's3-pg') fresh('ferry_in');
    const queue = `bench-e2e-${Math.random().toString(36).slice(2, 8)}`;
    const worker = await startWorker(queue);
    const cpu0 = await worker.cpu();
    let run: Awaited<ReturnType<typeof ferryRun>>;
    let workerCpu: number;
    try {
      run = await ferryRun(pipeline, queue, `bench-${kase}-${rows}-${Date.now()}`);
      workerCpu = (await worker.cpu()) - cpu0;
    } finally {
      await worker.stop();
    }
    const rss = worker.peakRss() / 1024;
    if (run.seconds < ferry.seconds) ferry = { ...run, workerCpu, rss: Math.max(rss, ferry.rss), log: worker.log };
    else ferry.rss = Math.max(ferry.rss, rss);
  }
  const report = ferry.report!;
  const [ferrySum, shellSum] = check();
  const source = kase === 'pg-s3' ? checksum(`${schema}.src`) : undefined;
  const same = ferrySum === shellSum && (!source || source === ferrySum) && ferrySum.startsWith(`${rows} rows`);
  results.push({ kase, rows, ferry: ferry.seconds, workflow: (report.durationMs ?? 0) / 1000, shell: shell.seconds, rss: ferry.rss, same });
  const best = REPEAT > 1 ? ` (best of ${REPEAT})` : '';
  console.log(`\n${kase}: ${rows.toLocaleString('en-US')} rows (${((await stat(csv)).size / 1e6).toFixed(0)} MB CSV), load average ${loadavg()[0]!.toFixed(2)} on ${cpus().length} cores`);
  console.log(`  shell pipeline             ${fmt(shell.seconds)}${best}   client CPU ${fmt(shell.cpu)} (aws, psql)`);
  console.log(`  ferry run --wait           ${fmt(ferry.seconds)}${best}   ${(ferry.seconds / shell.seconds).toFixed(2)}× the shell pipeline   client CPU ${fmt(ferry.workerCpu + ferry.cpu)} (worker ${fmt(ferry.workerCpu)}, ferry run ${fmt(ferry.cpu)})`);
  console.log(`    workflow                 ${fmt((report.durationMs ?? 0) / 1000)}   [${stagesOf(report)}]`);
  console.log(`    activities               ${activitiesOf(ferry.log)}`);
  console.log(`  worker peak RSS            ${ferry.rss.toFixed(0)} MB${REPEAT > 1 ? ' (highest of the runs)' : ''}`);
  console.log(`  check                      ferry ${ferrySum}; shell ${shellSum}${source ? `; source ${source}` : ''}  ${same ? 'EQUAL' : 'DIFFERENT'}`);
}

try {
  psql(`DROP SCHEMA IF EXISTS ${schema} CASCADE; CREATE SCHEMA ${schema}`);
  sh(`${aws} mb s3://${bucket} 2>/dev/null || true`);
  for (const rows of ROWS) {
    const t0 = process.hrtime.bigint();
    const csv = await generate(rows);
    sh(`${aws} cp ${csv} s3://${bucket}/in/rows-${rows}.csv --only-show-errors`);
    if (CASES.includes('pg-s3')) {
      psql(`DROP TABLE IF EXISTS ${schema}.src; CREATE TABLE ${schema}.src ${DDL}`);
      sh(`${psqlCmd} -c "\\copy ${schema}.src FROM '${csv}' (FORMAT csv, HEADER)"`);
    }
    console.log(`data: ${rows.toLocaleString('en-US')} rows generated and loaded in ${fmt(Number(process.hrtime.bigint() - t0) / 1e9)}`);
    for (const kase of CASES) await runCase(kase, rows, csv);
    await rm(csv, { force: true });
  }
  console.log('\ncase    rows          ferry      shell      ratio   workflow   worker peak RSS   rows equal');
  for (const r of results) {
    console.log(`${r.kase.padEnd(8)}${r.rows.toLocaleString('en-US').padEnd(14)}${fmt(r.ferry).padEnd(11)}${fmt(r.shell).padEnd(11)}${`${(r.ferry / r.shell).toFixed(2)}×`.padEnd(8)}${fmt(r.workflow).padEnd(11)}${`${r.rss.toFixed(0)} MB`.padEnd(18)}${r.same ? 'yes' : 'NO'}`);
  }
  if (results.some((r) => !r.same)) process.exitCode = 1;
} finally {
  if (!KEEP) {
    psql(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    spawnSync('bash', ['-c', `${aws} rb s3://${bucket} --force >/dev/null 2>&1`], { env });
  }
  await rm(dir, { recursive: true, force: true });
}
