/**
 * Runs and control on the real Temporal dev server, through `ferry` processes: four runs of one
 * pipeline (completed, failed, cancelled, terminated by `ferry terminate`), then — with NO worker
 * running — `ferry status` shows each one's stage table from Temporal alone, `ferry terminate`
 * refuses a finished run, and `ferry runs` lists them newest first with run date, trigger, status
 * and rows delivered, filtered by the same visibility query the Temporal UI takes.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { randomId, testEnv } from '../support/harness.js';
import { settings } from '../../src/config.js';
import { connectClient, startRun } from '../../src/client.js';
import { createWorker } from '../../src/worker.js';
import { loadPipeline } from '../../src/pipeline/load.js';
import { planOf } from '../../src/cli/start.js';
import { LocalStagingStore } from '../../src/staging/store.js';
import { runQuery } from '../../src/runs.js';
import { ferry } from '../support/ferry-cli.js';

const pipeline = `runs_${randomId()}`;
const dir = `.ferry/test-files/${pipeline}`;
const taskQueue = `ferry-runs-${randomId()}`;
let client: Client;
let server: Server;
let requests = 0;
const ids = { completed: '', failed: '', cancelled: '', terminated: '' };


async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

before(async () => {
  testEnv();
  // An endless paginated list, a page every 300 ms: a run that is still ingesting when it is stopped.
  server = createServer((req, res) => {
    requests += 1;
    const page = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('page') ?? 1);
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ data: [{ id: page }], total_pages: 1_000_000 }));
    }, 300);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  await mkdir(dir, { recursive: true });
  await writeFile(`${dir}/in.csv`, 'id,name\n1,a\n2,b\n3,c\n');
  await writeFile(`${dir}/connections.yaml`, `${await readFile('config/connections.yaml', 'utf8')}\nslow_api:\n  type: http\n  base_url: http://127.0.0.1:${(server.address() as AddressInfo).port}\n`);
  const sink = `sinks:\n  out: { type: file, input: a, path: ${dir}/out.csv }\n`;
  await writeFile(`${dir}/good.yaml`, `name: ${pipeline}\nsources:\n  a: { type: file, path: ${dir}/in.csv }\n${sink}`);
  await writeFile(`${dir}/bad.yaml`, `name: ${pipeline}\nsources:\n  a: { type: file, path: ${dir}/missing.csv }\n${sink}`);
  await writeFile(`${dir}/slow.yaml`, `name: ${pipeline}\nsources:\n  a: { type: http, connection: slow_api, path: /items, records: data, paginate: { type: page_number, total_pages_path: total_pages } }\n${sink}`);
  client = await connectClient();

  const { worker, connection } = await createWorker({ taskQueue, staging: new LocalStagingStore('.ferry/test-staging') });
  const running = worker.run();
  try {
    const plan = async (file: string) => planOf(await loadPipeline(`${dir}/${file}`, { connectionsFile: `${dir}/connections.yaml` }));
    const ended = (h: WorkflowHandle) => h.result().catch(() => undefined);

    const good = await startRun(client, await plan('good.yaml'), { taskQueue, time: '2024-01-05T00:00:00Z', trigger: 'cli' });
    ids.completed = good.workflowId;
    await good.result();
    const bad = await startRun(client, await plan('bad.yaml'), { taskQueue, id: `${pipeline}-failed` });
    ids.failed = bad.workflowId;
    await ended(bad);

    const slow = await startRun(client, await plan('slow.yaml'), { taskQueue, id: `${pipeline}-cancelled` });
    ids.cancelled = slow.workflowId;
    await waitFor('the source to fetch pages', () => requests >= 3);
    await slow.cancel();
    await ended(slow);

    const doomed = await startRun(client, await plan('slow.yaml'), { taskQueue, id: `${pipeline}-terminated` });
    ids.terminated = doomed.workflowId;
    const seen = requests;
    await waitFor('the source to fetch pages', () => requests >= seen + 3);
    const res = await ferry(['terminate', ids.terminated, '--reason', 'the API never ends']);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout.split('\n')[0], `terminated ${ids.terminated}: the API never ends`);
    await ended(doomed);
  } finally {
    // From here on no worker polls this task queue: everything below reads Temporal alone.
    worker.shutdown();
    await running;
    await connection.close();
  }
});

after(async () => {
  server?.close();
  await client?.connection.close();
  await rm(dir, { recursive: true, force: true });
});

const STARTED = '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z';

test('status of a failed run, with no worker: its stage table from the memo, the run date and trigger', async () => {
  const res = await ferry(['status', ids.failed]);
  assert.equal(res.code, 1, res.stderr);
  assert.equal(res.stderr, '');
  const today = new Date().toISOString().slice(0, 10);
  assert.match(res.stdout, new RegExp(`^${ids.failed} {2}FAILED {2}started ${STARTED} · run date ${today} · trigger client\\n`));
  assert.match(res.stdout, /\n {2}ingest {7}failed +\d+m?s\n {2}standardize {2}pending/);
  assert.match(res.stdout, /\n {4}out {14}not started → file /);
  assert.ok(res.stdout.endsWith(`\n  failed: stage ingest, dataset a, ${dir}/missing.csv: file not found: ${dir}/missing.csv\n`), res.stdout);
  // No worker polls the task queue: the table is the report kept in the memo, not the history's reconstruction.
  assert.ok(!res.stdout.includes('no report was kept'), res.stdout);
  assert.ok(res.ms < 10_000, `took ${res.ms} ms`);
});

test('status of a cancelled run, with no worker: the stage that was cancelled, the sink not started', async () => {
  const res = await ferry(['status', ids.cancelled]);
  assert.equal(res.code, 1, res.stderr);
  assert.match(res.stdout, new RegExp(`^${ids.cancelled} {2}CANCELLED {2}started ${STARTED} · run date \\d{4}-\\d\\d-\\d\\d · trigger client\\n`));
  assert.match(res.stdout, new RegExp(`\\n${pipeline} cancelled in `));
  assert.match(res.stdout, /\n {2}ingest {7}cancelled +[\d.]+m?s\n/);
  assert.match(res.stdout, /\n {4}out {14}not started → file /);
  assert.ok(res.stdout.endsWith('\n  cancelled: by ferry cancel, or in the Temporal UI\n'), res.stdout);
  assert.ok(!res.stdout.includes('no report was kept'), res.stdout);
  assert.ok(res.ms < 10_000, `took ${res.ms} ms`);
});

test('status of a terminated run: what its history tells (ingest in flight), and the reason', async () => {
  const res = await ferry(['status', ids.terminated]);
  assert.equal(res.code, 1, res.stderr);
  assert.match(res.stdout, new RegExp(`^${ids.terminated} {2}TERMINATED {2}started ${STARTED} · run date \\d{4}-\\d\\d-\\d\\d · trigger client\\n`));
  assert.match(res.stdout, new RegExp(`\\n${pipeline} terminated in [\\d.]+m?s {2}\\(${ids.terminated}\\)\n`));
  assert.match(res.stdout, /\n {2}ingest {7}terminated +[\d.]+m?s\n {2}standardize {2}pending/);
  assert.match(res.stdout, /\n {4}out {14}not started → file /);
  assert.ok(res.stdout.endsWith('\n  (no report was kept: this is what the run\'s history tells)\n  terminated: the API never ends\n'), res.stdout);
});

test('terminate and cancel refuse a finished run with one line', async () => {
  for (const verb of ['terminate', 'cancel']) {
    const res = await ferry([verb, ids.completed]);
    assert.equal(res.code, 1);
    assert.equal(res.stdout, '');
    assert.match(res.stderr, new RegExp(`^error: run ${ids.completed} has already ended \\(completed at ${STARTED}\\); only a running run can be ${verb === 'cancel' ? 'cancelled' : 'terminated'}\\n$`));
  }
});

test('ferry runs lists them newest first with run date, trigger, status and rows; filters are the UI\'s query', async () => {
  type Row = { workflowId: string; pipeline: string; runDate: string; trigger: string; status: string; rowsDelivered: number | null; durationMs: number | null };
  const list = async (...args: string[]) => {
    const res = await ferry(['runs', '--pipeline', pipeline, ...args, '--json']);
    assert.equal(res.code, 0, res.stderr);
    return JSON.parse(res.stdout) as Row[];
  };
  // Visibility is eventually consistent: the last close may take a moment to show.
  let rows: Row[] = [];
  await waitFor('visibility to show the four runs closed', async () => (rows = await list()).length === 4 && rows.every((r) => r.status !== 'running'), 15_000);
  assert.deepEqual(rows.map((r) => [r.workflowId, r.pipeline, r.trigger, r.status, r.rowsDelivered]), [
    [ids.terminated, pipeline, 'client', 'terminated', null],
    [ids.cancelled, pipeline, 'client', 'cancelled', null],
    [ids.failed, pipeline, 'client', 'failed', null],
    [ids.completed, pipeline, 'cli', 'completed', 3],
  ]);
  assert.equal(rows[3]!.runDate, '2024-01-05');
  assert.equal(ids.completed, `${pipeline}-2024-01-05T00:00:00Z`);
  assert.ok(rows.every((r) => typeof r.durationMs === 'number' && r.durationMs > 0));

  assert.deepEqual((await list('--status', 'failed')).map((r) => r.workflowId), [ids.failed]);
  assert.deepEqual((await list('--status', 'canceled')).map((r) => r.workflowId), [ids.cancelled]);
  assert.deepEqual((await list('--trigger', 'cli')).map((r) => r.workflowId), [ids.completed]);
  assert.deepEqual((await list('--since', '1h', '--limit', '2')).map((r) => r.workflowId), [ids.terminated, ids.cancelled]);
  assert.deepEqual(await list('--since', '2099-01-01'), []);

  // The table, and the same filter as a Temporal UI link; that query, given to visibility as it is, finds the same run.
  const res = await ferry(['runs', '--pipeline', pipeline, '--trigger', 'cli']);
  const lines = res.stdout.split('\n');
  assert.match(lines[0]!, /^workflow id +pipeline +run date {4}trigger {2}status {5}started {15}duration {2}rows$/);
  assert.match(lines[1]!, new RegExp(`^${ids.completed} +${pipeline} +2024-01-05 {2}cli +completed {2}\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ +[\\d.]+m?s +3$`));
  const query = runQuery({ pipeline, trigger: 'cli' });
  assert.equal(query, `WorkflowType = 'pipeline' AND FerryPipeline = '${pipeline}' AND FerryTrigger = 'cli'`);
  assert.equal(lines[3], `same filter in the Temporal UI: ${settings().uiUrl}/namespaces/${settings().namespace}/workflows?query=${encodeURIComponent(query)}`);
  const found: string[] = [];
  for await (const wf of client.workflow.list({ query })) found.push(wf.workflowId);
  assert.deepEqual(found, [ids.completed]);
});
