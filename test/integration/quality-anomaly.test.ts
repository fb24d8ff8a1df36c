/**
 * Anomaly rules end to end, through `ferry run --wait` and a real worker: one pipeline run as
 * different logical runs (`--date`) with stable row counts builds the history; with too little of it
 * the rule says "not evaluated: N of 5 runs"; a failed run is never history; a planted spike is
 * reported by a warn rule (every row delivered) and fails the run with an error rule (nothing
 * delivered). Rows are counted in PostgreSQL, not from what Ferry reports.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHarness, randomId } from '../support/harness.js';
import { ferry, type FerryResult } from '../support/ferry-cli.js';
import type { RunReport } from '../../src/run.js';

let h: Awaited<ReturnType<typeof startHarness>>;
let dir: string;
const pipeline = `anomaly_${randomId()}`;
const s = `ferry_anomaly_${randomId()}`;
const STAGING = '.ferry/test-staging';

/** The pipeline with its row_count anomaly rule at `severity`; `n` rows are read, `min_rows` fails the run on purpose. */
const pipelineFile = (severity: 'warn' | 'error') => `name: ${pipeline}
params: { n: 1000, min_rows: 0 }
sources:
  nums: { type: postgres, connection: warehouse, query: 'SELECT * FROM ${s}.nums WHERE id <= \${param:n} ORDER BY id' }
quality:
  rules:
    - { rule: anomaly, dataset: nums, metric: row_count, window: 14, threshold: 3, severity: ${severity}, name: rows }
    - { rule: row_count, dataset: nums, min: '\${param:min_rows}' }
sinks:
  out: { type: postgres, connection: warehouse, input: nums, table: ${s}.out, mode: append }
`;

before(async () => {
  h = await startHarness();
  await h.sql(`CREATE SCHEMA ${s}; CREATE TABLE ${s}.nums AS SELECT g AS id, (g % 97)::numeric(10,2) AS amount FROM generate_series(1, 5000) g`);
  dir = await mkdtemp(join(tmpdir(), 'ferry-anomaly-'));
  await copyFile('config/connections.yaml', join(dir, 'connections.yaml'));
  process.env.FERRY_CONNECTIONS = join(dir, 'connections.yaml');
  process.env.FERRY_STAGING = STAGING; // the CLI reads staging as the in-process worker writes it
  await writeFile(join(dir, 'warn.yaml'), pipelineFile('warn'));
  await writeFile(join(dir, 'error.yaml'), pipelineFile('error'));
});
after(async () => {
  await h?.sql(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
  await h?.stop();
  await rm(dir, { recursive: true, force: true });
  await rm(join(STAGING, pipeline), { recursive: true, force: true });
  await rm(join(STAGING, '_history', pipeline), { recursive: true, force: true });
  await rm(join(STAGING, '_catalog', pipeline), { recursive: true, force: true });
  delete process.env.FERRY_CONNECTIONS;
});

const run = (file: string, day: string, params: Record<string, number>): Promise<FerryResult> =>
  ferry(['run', join(dir, file), '--wait', '--date', `2024-03-${day}`, '--task-queue', h.taskQueue, ...Object.entries(params).flatMap(([k, v]) => ['-p', `${k}=${v}`])]);

/** The line of the rule `rows` in `ferry run --wait`'s report, its column padding as one space. */
const rowsLine = (res: FerryResult): string => res.stdout.split('\n').find((l) => /^\s+\S\s+rows\s/.test(l))?.trim().replace(/\s+/g, ' ') ?? `(no line for rows in)\n${res.stdout}${res.stderr}`;

const delivered = async (): Promise<number> => (await h.sql<{ n: number }>(`SELECT count(*)::int AS n FROM ${s}.out`))[0]!.n;

test('history builds from successful runs only; a spike warns, then fails with severity error', async () => {
  // Four stable days: not evaluated yet, 0…3 of 5 runs.
  const stable = [1000, 1004, 998, 1002];
  for (const [i, n] of stable.entries()) {
    const res = await run('warn.yaml', `0${i + 1}`, { n });
    assert.equal(res.code, 0, res.stdout + res.stderr);
    assert.equal(rowsLine(res), `– rows not evaluated: ${i} of 5 runs`);
  }
  assert.equal(await delivered(), 4004);

  // Day 5 fails (another rule): it is not history for the days after it, and delivers nothing.
  const failed = await run('warn.yaml', '05', { n: 1001, min_rows: 100000 });
  assert.equal(failed.code, 1, failed.stdout + failed.stderr);
  assert.match(failed.stderr, /quality gate: row_count:nums\.rows: 1,001 rows \(expected at least 100,000\); no sink was written/);
  assert.equal(await delivered(), 4004);

  const sixth = await run('warn.yaml', '06', { n: 1003 });
  assert.equal(sixth.code, 0, sixth.stdout + sixth.stderr);
  assert.equal(rowsLine(sixth), '– rows not evaluated: 4 of 5 runs', 'the failed day 5 is not counted');

  // Five earlier successful runs: evaluated, as usual.
  const usual = await run('warn.yaml', '07', { n: 999 });
  assert.equal(usual.code, 0, usual.stdout + usual.stderr);
  assert.equal(rowsLine(usual), '✓ rows row_count 999 is as usual (median 1,002 of 5 runs; expected 992–1,012)');

  // A planted spike, warn: reported, and every row is delivered.
  const before = await delivered();
  const spike = await run('warn.yaml', '08', { n: 3000 });
  assert.equal(spike.code, 0, spike.stdout + spike.stderr);
  assert.equal(rowsLine(spike), '! rows row_count 3,000 is far above the usual 1,001 (median of 6 runs; expected 991–1,011)');
  assert.equal(await delivered(), before + 3000);
  const uri = /\n {2}report: (\S+)\n/.exec(spike.stdout)?.[1];
  assert.equal(uri, `${STAGING}/${pipeline}/${pipeline}-2024-03-08T00_00_00Z/report.json`);
  const report = JSON.parse(await readFile(uri, 'utf8')) as RunReport;
  const outcome = report.quality!.outcomes.find((o) => o.name === 'rows')!;
  assert.deepEqual([outcome.severity, outcome.status, outcome.value, outcome.expected], ['warn', 'failed', 3000, '991–1,011']);

  // The same spike with severity error: the run fails before any sink is written. The warn spike
  // of day 8 is history now (a completed run), and the median of 7 runs moves by one row at most.
  const drop = await run('error.yaml', '09', { n: 100 });
  assert.equal(drop.code, 1, drop.stdout + drop.stderr);
  assert.match(drop.stderr, /quality gate: rows: row_count 100 is far below the usual 1,002 \(median of 7 runs; expected 992–1,012\); no sink was written/);
  assert.equal(await delivered(), before + 3000, 'nothing delivered by the failed run');
});
