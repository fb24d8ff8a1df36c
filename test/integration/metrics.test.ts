/**
 * `ferry worker --metrics` on the real dev server: a worker process serves Prometheus metrics while
 * it runs the retail example, the retail example with a quarantined row, an HTTP sink that answers
 * 503 once (a retried attempt), one that answers 400 (a failed run) and an endless source that is
 * cancelled (a cancelled run). The scrape is parsed and
 * Ferry's counters are checked exactly against what each run reports (rows per stage and dataset,
 * rows per sink, quarantined rows, stage durations, runs by status), its attempt counters against
 * each run's history, its bytes against the staged files; the SDK's own worker metrics are there
 * too; no label carries a workflow id or run id. A second worker on the same address, or a bad
 * address, fails in one line.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { startHarness, randomId, RETAIL } from '../support/harness.js';
import { settings } from '../../src/config.js';
import { startReceiver, type Receiver } from '../support/receiver.js';
import { readRun } from '../../src/runs.js';
import { METRICS, HISTOGRAM_BUCKETS } from '../../src/metrics.js';
import type { RunReport } from '../../src/run.js';

let h: Awaited<ReturnType<typeof startHarness>>;
let receiver: Receiver;
let dir: string;
let worker: ChildProcess;
let address: string;
const workerOut: string[] = [];

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

before(async () => {
  h = await startHarness({ inProcessWorker: false });
  receiver = await startReceiver();
  dir = await mkdtemp(join(tmpdir(), 'ferry-metrics-test-'));
  process.env.FERRY_FILE_ROOTS = dir;
  address = `127.0.0.1:${await freePort()}`;
  worker = spawn(process.execPath, ['bin/ferry.js', 'worker', '--task-queue', h.taskQueue, '--metrics', address], {
    env: { ...process.env, FERRY_STAGING: '.ferry/test-staging', FERRY_LOG_LEVEL: 'ERROR', NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  worker.stdout!.on('data', (d: Buffer) => workerOut.push(d.toString()));
  await h.waitFor('the worker to start', () => workerOut.join('').includes(`metrics at http://${address}/metrics`), 60_000);
});

after(async () => {
  if (worker && worker.exitCode === null) {
    worker.kill('SIGTERM');
    await new Promise((resolve) => worker.once('exit', resolve));
  }
  await receiver?.close();
  await h?.stop();
  delete process.env.FERRY_FILE_ROOTS;
  if (dir) await rm(dir, { recursive: true, force: true });
});

// ---- the Prometheus text format, as the exporter writes it -------------------------------------

type Sample = { name: string; labels: Record<string, string>; value: number };
type Scrape = { samples: Sample[]; types: Map<string, string>; help: Map<string, string> };

function parseScrape(text: string): Scrape {
  const scrape: Scrape = { samples: [], types: new Map(), help: new Map() };
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const meta = /^# (TYPE|HELP) (\S+) (.*)$/.exec(line);
    if (meta) {
      (meta[1] === 'TYPE' ? scrape.types : scrape.help).set(meta[2]!, meta[3]!);
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m, `not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_s, c: string) => (c === 'n' ? '\n' : c));
    scrape.samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return scrape;
}

async function scrape(): Promise<Scrape> {
  const res = await fetch(`http://${address}/metrics`);
  assert.equal(res.status, 200);
  return parseScrape(await res.text());
}

/** The labels the SDK adds to metrics recorded through an activity's or the workflow's meter. */
const SDK_TAGS = ['namespace', 'taskQueue', 'activityType', 'workflowType'];

/** Ferry's samples of one metric as `labels → value`, the SDK's own tags checked and left out. */
function series(s: Scrape, name: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const sample of s.samples.filter((x) => x.name === name)) {
    assert.equal(sample.labels.namespace, settings().namespace);
    assert.equal(sample.labels.taskQueue, h.taskQueue);
    const own = Object.fromEntries(Object.entries(sample.labels).filter(([k]) => !SDK_TAGS.includes(k)));
    out.set(key(own), sample.value);
  }
  return out;
}

const key = (labels: Record<string, string | undefined>): string =>
  JSON.stringify(Object.fromEntries(Object.entries(labels).filter(([, v]) => v !== undefined && v !== '').sort(([a], [b]) => a.localeCompare(b))));

function add(map: Map<string, number>, labels: Record<string, string | undefined>, value: number): void {
  map.set(key(labels), (map.get(key(labels)) ?? 0) + value);
}

const sorted = (m: Map<string, number>) => [...m.entries()].sort(([a], [b]) => a.localeCompare(b));

// ---- what the runs themselves say -----------------------------------------------------------------

type Run = { id: string; runId: string; handle: WorkflowHandle; report: RunReport };
const runs: Run[] = [];

async function runToEnd(start: () => Promise<WorkflowHandle>): Promise<Run> {
  const handle = await start();
  await handle.result().catch(() => undefined);
  const { report } = await readRun(h.client, handle.workflowId);
  assert.ok(report, `run ${handle.workflowId} has a report`);
  const run = { id: handle.workflowId, runId: (await handle.describe()).runId, handle, report };
  runs.push(run);
  return run;
}

/** Rows, bytes, quarantined rows, stage durations and runs as the run reports and staged files say. */
async function expectedFromReports() {
  const rows = new Map<string, number>();
  const bytes = new Map<string, number>();
  const quarantined = new Map<string, number>();
  const stageCount = new Map<string, number>();
  const stageSum = new Map<string, number>();
  const runsByStatus = new Map<string, number>();
  for (const { report } of runs) {
    const pipeline = report.pipeline;
    add(runsByStatus, { pipeline, status: report.status }, 1);
    for (const stage of report.stages) {
      if (stage.durationMs !== undefined) {
        add(stageCount, { pipeline, stage: stage.stage, status: stage.status }, 1);
        add(stageSum, { pipeline, stage: stage.stage, status: stage.status }, stage.durationMs / 1000);
      }
      if (stage.stage === 'deliver' || stage.status !== 'completed') continue;
      for (const d of stage.datasets) {
        add(rows, { pipeline, stage: stage.stage, dataset: d.dataset }, d.rows);
        add(bytes, { pipeline, stage: stage.stage, dataset: d.dataset }, (await stat(d.uri)).size);
        if (stage.stage === 'ingest' && d.dataset.endsWith('_rejects')) add(quarantined, { pipeline, dataset: d.dataset.slice(0, -'_rejects'.length) }, d.rows);
      }
    }
    // The deliver stage lists "input → sink"; each delivered sink says how many rows it wrote.
    const inputOf = Object.fromEntries(report.stages.find((s) => s.stage === 'deliver')!.datasets.map((d) => d.dataset.split(' → ').reverse()));
    for (const sink of report.sinks.filter((s) => s.status === 'delivered')) add(rows, { pipeline, stage: 'deliver', dataset: inputOf[sink.sink], sink: sink.sink }, sink.rows!);
  }
  return { rows, bytes, quarantined, stageCount, stageSum, runsByStatus };
}

/**
 * Attempts as each run's history records them: an activity that ended on attempt N was retried
 * N - 1 times (its last failure's type is on its started event), and then completed or failed.
 */
async function expectedAttempts(): Promise<Map<string, number>> {
  const attempts = new Map<string, number>();
  for (const { handle, report } of runs) {
    const events = (await handle.fetchHistory()).events!;
    const byId = new Map(events.map((e) => [Number(e.eventId), e]));
    for (const e of events) {
      const closed = e.activityTaskCompletedEventAttributes ?? e.activityTaskFailedEventAttributes ?? e.activityTaskCanceledEventAttributes;
      if (!closed) continue;
      const scheduled = byId.get(Number(closed.scheduledEventId))!.activityTaskScheduledEventAttributes!;
      const started = byId.get(Number(closed.startedEventId))!.activityTaskStartedEventAttributes!;
      const input = JSON.parse(Buffer.from(scheduled.input!.payloads![0]!.data!).toString('utf8')) as { dataset?: string; stage?: string; sink?: string; input?: { dataset: string } };
      const type = scheduled.activityType!.name!;
      const labels = type === 'ingest' ? { stage: 'ingest', dataset: input.dataset }
        : type === 'transform' ? { stage: input.stage }
        : type === 'deliver' ? { stage: 'deliver', dataset: input.input?.dataset, sink: input.sink }
        : type === 'quality' ? { stage: 'quality' }
        : type === 'finishRun' ? { stage: 'finish' }
        : { stage: 'verify' };
      const at = { pipeline: type === 'verifyStaged' ? undefined : report.pipeline, ...labels };
      const retries = (started.attempt ?? 1) - 1;
      if (retries > 0) add(attempts, { ...at, outcome: 'retrying', error_code: started.lastFailure?.applicationFailureInfo?.type ?? undefined }, retries);
      if (e.activityTaskCompletedEventAttributes) add(attempts, { ...at, outcome: 'completed' }, 1);
      else if (e.activityTaskCanceledEventAttributes) add(attempts, { ...at, outcome: 'cancelled' }, 1);
      else add(attempts, { ...at, outcome: 'failed', error_code: e.activityTaskFailedEventAttributes!.failure?.applicationFailureInfo?.type ?? undefined }, 1);
    }
  }
  return attempts;
}

// ---- the runs ------------------------------------------------------------------------------------

test('the retail example, with and without a quarantined row; an HTTP sink that fails once, then for good; a cancelled run', async () => {
  await h.seed();
  const retail = await runToEnd(() => h.start(RETAIL, {}, `metrics-retail-${randomId()}`));
  assert.equal(retail.report.status, 'completed');

  // Line 4 of sales.csv gets an extra field: with on_error: quarantine it goes to sales_rejects.
  const lines = (await readFile('examples/retail/data/sales.csv', 'utf8')).split('\n');
  lines[3] = `${lines[3]},oops`;
  await writeFile(join(dir, 'sales.csv'), lines.join('\n'));
  await h.seed(join(dir, 'sales.csv'));
  await mkdir('.ferry/test-pipelines', { recursive: true });
  const quarantineFile = `.ferry/test-pipelines/metrics-quarantine-${randomId()}.yaml`;
  const retailText = await readFile(RETAIL, 'utf8');
  await writeFile(quarantineFile, retailText.replace(/^name: retail$/m, 'name: retail_quarantine').replace('    key: raw/sales.csv\n', '    key: raw/sales.csv\n    on_error: quarantine\n'));
  process.env.FERRY_CONNECTIONS = 'config/connections.yaml';
  try {
    const quarantine = await runToEnd(() => h.start(quarantineFile, {}, `metrics-quarantine-${randomId()}`));
    assert.equal(quarantine.report.status, 'completed');
    assert.equal(quarantine.report.stages[0]!.datasets.find((d) => d.dataset === 'sales_rejects')?.rows, 1);
  } finally {
    delete process.env.FERRY_CONNECTIONS;
    await rm(quarantineFile, { force: true });
  }

  // A file source and an HTTP sink whose receiver answers batch 1 with a 503 once (retried with
  // the default policy), and, in a second run, batch 2 with a 400 (not retried: the run fails).
  await writeFile(join(dir, 'orders.csv'), 'order_id,amount\nO1,1.50\nO2,2.50\nO3,3.50\nO4,4.50\nO5,5.50\n');
  await writeFile(join(dir, 'connections.yaml'), `${await readFile('config/connections.yaml', 'utf8')}\nreceiver:\n  type: http\n  base_url: ${receiver.url}\n`);
  await writeFile(join(dir, 'orders.yaml'), `name: metrics_orders
sources:
  orders: { type: file, path: ${join(dir, 'orders.csv')}, columns: { order_id: VARCHAR, amount: 'DECIMAL(10,2)' } }
sinks:
  api: { type: http, connection: receiver, input: orders, path: /ingest, batch_size: 2, wrap: records }
`);
  const flakyId = `metrics-flaky-${randomId()}`;
  let refused = 0;
  receiver.failBatch = (k) => (k === `${flakyId}-api-1` && refused++ === 0 ? 503 : undefined);
  const flaky = await runToEnd(() => h.start(join(dir, 'orders.yaml'), {}, flakyId));
  assert.equal(flaky.report.status, 'completed');
  assert.equal(refused, 2, 'batch 1 was refused once and accepted on the next attempt');

  const failingId = `metrics-failing-${randomId()}`;
  receiver.failBatch = (k) => (k === `${failingId}-api-2` ? 400 : undefined);
  const failing = await runToEnd(() => h.start(join(dir, 'orders.yaml'), {}, failingId));
  assert.equal(failing.report.status, 'failed');

  // An endless paginated source, cancelled while it reads.
  await writeFile(join(dir, 'endless.yaml'), `name: metrics_cancel
sources:
  items: { type: http, connection: receiver, path: /items, records: data, paginate: { type: page_number, size_param: per_page, size: 2, total_pages_path: total_pages }, max_pages: 1000000 }
sinks:
  out: { type: file, input: items, path: ${join(dir, 'items.csv')} }
`);
  receiver.getDelayMs = 100;
  const before = receiver.requests;
  const cancelled = await runToEnd(async () => {
    const handle = await h.start(join(dir, 'endless.yaml'), {}, `metrics-cancel-${randomId()}`);
    await h.waitFor('the source to read a few pages', () => receiver.requests >= before + 3, 60_000);
    await handle.cancel();
    return handle;
  });
  assert.equal(cancelled.report.status, 'cancelled');
});

test("Ferry's counters equal what the runs report, exactly", async () => {
  assert.equal(runs.length, 5, 'the runs above ran');
  const expected = await expectedFromReports();
  // The workflow records a run's end as its last task completes: wait until all of them are counted.
  let s = await scrape();
  await h.waitFor('every run to be counted', async () => {
    s = await scrape();
    return [...series(s, 'ferry_runs_total').values()].reduce((a, b) => a + b, 0) === runs.length;
  }, 10_000);

  assert.deepEqual(sorted(series(s, 'ferry_runs_total')), sorted(expected.runsByStatus));
  assert.deepEqual(sorted(expected.runsByStatus), sorted(new Map([
    [key({ pipeline: 'metrics_cancel', status: 'cancelled' }), 1],
    [key({ pipeline: 'metrics_orders', status: 'completed' }), 1],
    [key({ pipeline: 'metrics_orders', status: 'failed' }), 1],
    [key({ pipeline: 'retail', status: 'completed' }), 1],
    [key({ pipeline: 'retail_quarantine', status: 'completed' }), 1],
  ])));

  assert.deepEqual(sorted(series(s, 'ferry_rows_total')), sorted(expected.rows));
  assert.deepEqual(sorted(series(s, 'ferry_bytes_total')), sorted(expected.bytes));
  assert.deepEqual(sorted(series(s, 'ferry_quarantined_rows_total')), sorted(expected.quarantined));
  assert.deepEqual(sorted(expected.quarantined), [[key({ pipeline: 'retail_quarantine', dataset: 'sales' }), 1]]);
  // Spot checks of the totals a reader of the report would add up: 9 retail rows into each of
  // three sinks, 7 after the quarantine (and one more outlier), 5 orders once.
  const rows = series(s, 'ferry_rows_total');
  assert.equal(rows.get(key({ pipeline: 'retail', stage: 'deliver', dataset: 'sales_final', sink: 'warehouse' })), 9);
  assert.equal(rows.get(key({ pipeline: 'retail_quarantine', stage: 'deliver', dataset: 'sales_final', sink: 'api' })), 7);
  assert.equal(rows.get(key({ pipeline: 'metrics_orders', stage: 'deliver', dataset: 'orders', sink: 'api' })), 5);
  assert.equal(rows.get(key({ pipeline: 'metrics_orders', stage: 'ingest', dataset: 'orders' })), 10, 'both runs ingested 5 orders');

  const attempts = series(s, 'ferry_activity_attempts_total');
  assert.deepEqual(sorted(attempts), sorted(await expectedAttempts()));
  assert.equal(attempts.get(key({ pipeline: 'metrics_orders', stage: 'deliver', dataset: 'orders', sink: 'api', outcome: 'retrying', error_code: 'TRANSIENT' })), 1);
  assert.equal(attempts.get(key({ pipeline: 'metrics_orders', stage: 'deliver', dataset: 'orders', sink: 'api', outcome: 'completed' })), 1);
  assert.equal(attempts.get(key({ pipeline: 'metrics_orders', stage: 'deliver', dataset: 'orders', sink: 'api', outcome: 'failed', error_code: 'DATA' })), 1);
  assert.equal(attempts.get(key({ pipeline: 'metrics_cancel', stage: 'ingest', dataset: 'items', outcome: 'cancelled' })), 1);
  // Every attempt has its duration observed once.
  const durations = series(s, 'ferry_activity_attempt_duration_seconds_count');
  const byOutcome = new Map<string, number>();
  for (const [k, v] of attempts) {
    const { error_code: _code, ...labels } = JSON.parse(k) as Record<string, string>;
    add(byOutcome, labels, v);
  }
  assert.deepEqual(sorted(durations), sorted(byOutcome));

  // Stage durations: one observation per stage that ran, summing to the report's durations.
  assert.deepEqual(sorted(series(s, 'ferry_stage_duration_seconds_count')), sorted(expected.stageCount));
  const sums = series(s, 'ferry_stage_duration_seconds_sum');
  assert.deepEqual([...sums.keys()].sort(), [...expected.stageSum.keys()].sort());
  for (const [k, v] of expected.stageSum) assert.ok(Math.abs(sums.get(k)! - v) < 1e-6, `${k}: ${sums.get(k)} vs ${v}`);
  assert.equal(expected.stageCount.get(key({ pipeline: 'metrics_orders', stage: 'deliver', status: 'failed' })), 1);
  assert.equal(expected.stageCount.get(key({ pipeline: 'metrics_cancel', stage: 'ingest', status: 'cancelled' })), 1);
});

test('the scrape declares every Ferry metric with its type, help text and buckets, and the SDK metrics beside them', async () => {
  const s = await scrape();
  for (const d of Object.values(METRICS)) {
    assert.equal(s.types.get(d.name), d.name.endsWith('_seconds') ? 'histogram' : 'counter', d.name);
    assert.equal(s.help.get(d.name), d.help, d.name);
  }
  for (const [name, buckets] of Object.entries(HISTOGRAM_BUCKETS)) {
    const les = [...new Set(s.samples.filter((x) => x.name === `${name}_bucket`).map((x) => x.labels.le))];
    assert.deepEqual(les, [...buckets.map(String), '+Inf'], name);
  }
  // The SDK's own worker metrics: idle now, so all four activity slots (--max-activities) are free.
  const slots = s.samples.find((x) => x.name === 'temporal_worker_task_slots_available' && x.labels.worker_type === 'ActivityWorker' && x.labels.task_queue === h.taskQueue);
  assert.equal(slots?.value, 4);
  const sdk = (name: string, labels: Record<string, string> = {}) =>
    s.samples.filter((x) => x.name === name && x.labels.task_queue === h.taskQueue && Object.entries(labels).every(([k, v]) => x.labels[k] === v)).reduce((n, x) => n + x.value, 0);
  assert.equal(sdk('temporal_workflow_completed', { workflow_type: 'pipeline' }), 3);
  assert.equal(sdk('temporal_workflow_failed', { workflow_type: 'pipeline' }), 1);
  assert.equal(sdk('temporal_activity_execution_failed', { activity_type: 'deliver' }), 2, 'the 503 and the 400');
  for (const name of ['temporal_activity_execution_latency', 'temporal_workflow_endtoend_latency', 'temporal_activity_schedule_to_start_latency']) {
    assert.equal(s.types.get(name), 'histogram', name);
  }
  assert.equal(s.types.get('temporal_request'), 'counter');
});

test('no label carries a workflow id, run id or run date, and Ferry labels are the bounded set', async () => {
  const s = await scrape();
  const unbounded = runs.flatMap(({ id, runId, report }) => [id, runId, report.run.date, report.run.time]).filter(Boolean);
  assert.equal(unbounded.length, 20);
  for (const sample of s.samples) {
    for (const value of Object.values(sample.labels)) {
      for (const u of unbounded) assert.ok(!value.includes(u), `${sample.name} has a label with ${u}`);
    }
  }
  const allowed = new Set([...Object.values(METRICS).flatMap((d) => [...d.labels]), ...SDK_TAGS, 'le']);
  const used = new Set(s.samples.filter((x) => x.name.startsWith('ferry_')).flatMap((x) => Object.keys(x.labels)));
  assert.deepEqual([...used].filter((l) => !allowed.has(l)), []);
});

test('a second worker on the same address fails in one line with exit code 1; a bad address with exit code 2', () => {
  const env = { ...process.env, NO_COLOR: '1', FERRY_LOG_LEVEL: 'ERROR' };
  const busy = spawnSync(process.execPath, ['bin/ferry.js', 'worker', '--task-queue', h.taskQueue, '--metrics', address], { encoding: 'utf8', env, timeout: 60_000 });
  assert.equal(busy.status, 1);
  assert.equal(busy.stderr, `error: cannot serve metrics on ${address}: the address is already in use (another process listens there; choose another --metrics address)\n`);
  assert.equal(busy.stdout, '');

  const bad = spawnSync(process.execPath, ['bin/ferry.js', 'worker', '--task-queue', h.taskQueue], { encoding: 'utf8', env: { ...env, FERRY_METRICS: 'metrics:9464' }, timeout: 60_000 });
  assert.equal(bad.status, 2);
  assert.equal(bad.stderr, "error: option '--metrics <address>' value 'metrics:9464' from env 'FERRY_METRICS' is invalid. expected IP:PORT such as 127.0.0.1:9464, 0.0.0.0:9464, [::1]:9464 or localhost:9464\n");
});
