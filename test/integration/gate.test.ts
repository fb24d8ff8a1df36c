/**
 * The human gate end to end, as a user runs it: `ferry run` starts a pipeline whose quality rule
 * asks (the quality activity is faked: test/support/gate-worker.ts), the run waits, and
 * - the worker is SIGKILLed while it waits; `ferry runs --status waiting` still lists it with the
 *   failing rule and its sample (from the memo, no worker needed); `ferry approve` with no worker is
 *   refused; a new worker starts and `ferry approve` completes the run with every row in the sink;
 * - on a Temporal dev server of its own (own port, own db file), the server is killed and started
 *   again on the same file while the run waits; the run is still waiting, with the same deadline,
 *   and `ferry quarantine` completes it.
 * - with the real quality activity (a range rule that asks), `ferry quarantine` delivers exactly the
 *   rows in range and sets the other aside, with its rule and reason.
 * Default heartbeat and retry settings throughout.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startHarness, randomId } from '../support/harness.js';
import { ferry } from '../support/ferry-cli.js';
import { startFerryWorker } from '../support/ferry-worker.js';
import { askingPipeline, PRODUCTS } from '../support/gate.js';
import type { RunReport } from '../../src/run.js';

const dir = join('.ferry', 'test-gate', randomId());
const BIN = process.env.FERRY_BIN_DIR ?? join(homedir(), '.cache/ferry/bin');
let h: Awaited<ReturnType<typeof startHarness>>;
const processes: ChildProcess[] = [];

before(async () => {
  h = await startHarness({ inProcessWorker: false });
  await mkdir(dir, { recursive: true });
});
after(async () => {
  for (const p of processes) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  await h?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** The gate worker as its own process on `taskQueue` (and `address`): resolved once it polls. */
async function startGateWorker(taskQueue: string, address?: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/gate-worker.ts'], {
    env: { ...process.env, FERRY_TASK_QUEUE: taskQueue, FERRY_STAGING: '.ferry/test-staging', FERRY_LOG_LEVEL: 'ERROR', ...(address ? { TEMPORAL_ADDRESS: address } : {}) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  processes.push(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  await h.waitFor('the gate worker to start', () => out.includes(`ready ${child.pid}`), 60_000);
  return child;
}

async function killed(child: ChildProcess): Promise<void> {
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await gone;
}

async function untilWaiting(client: Client, id: string): Promise<RunReport> {
  let report: RunReport | undefined;
  await h.waitFor(`${id} to wait for a decision`, async () => {
    report = await client.workflow.getHandle(id).query<RunReport>('progress').catch(() => undefined);
    return report?.status === 'waiting';
  }, 90_000);
  return report!;
}

/** The sink's CSV, compared with products.csv row by row (the file sink writes the same rows). */
async function sinkRows(file: string): Promise<string[]> {
  return (await readFile(file, 'utf8')).trim().split('\n');
}
const productRows = async () => (await readFile(PRODUCTS, 'utf8')).trim().split('\n');

test('the worker is killed while a run waits: listed as waiting without a worker, approved once a new worker runs, every row delivered', async () => {
  const name = `gate_kill_${randomId()}`;
  const file = await askingPipeline(dir, name);
  const out = join(dir, `${name}.csv`);
  const id = `${name}-run`;
  const first = await startGateWorker(h.taskQueue);
  // Watched as a user would: `ferry run --wait` says once that the run waits, and how to decide.
  const watched = ferry(['run', file, '--id', id, '--task-queue', h.taskQueue, '--wait']);
  const waiting = await untilWaiting(h.client, id);
  assert.deepEqual(waiting.gate?.rules, ['row_count:products']);

  const status = await ferry(['status', id]);
  assert.equal(status.code, 0, status.stderr);
  const statusLines = status.stdout.split('\n');
  assert.match(statusLines[0]!, new RegExp(`^${id} {2}WAITING {2}started `));
  assert.ok(statusLines.some((l) => /^ {2}waiting for a decision since \S+ \([^)]+\); no timeout: it waits until decided$/.test(l)), status.stdout);
  assert.ok(statusLines.includes('  ✖ row_count:products  6 rows; expected at least 100'), status.stdout);
  assert.ok(statusLines.includes(`  decide: ferry approve|reject|quarantine ${id} [--comment TEXT]`), status.stdout);

  await killed(first);
  // Listed from visibility and the memo: no worker answers now.
  const runs = await ferry(['runs', '--status', 'waiting', '--pipeline', name]);
  assert.equal(runs.code, 0, runs.stderr);
  const lines = runs.stdout.split('\n');
  assert.match(lines[1]!, new RegExp(`^${id} +${name} +\\S+ +cli +waiting `));
  assert.equal(lines[2], '');
  assert.equal(lines[3], id);
  assert.match(lines[4]!, /^ {2}waiting for a decision since /);
  assert.equal(lines[5], '  ✖ row_count:products  6 rows; expected at least 100');
  assert.equal(lines[6], `  decide: ferry approve|reject|quarantine ${id} [--comment TEXT]`);
  assert.match(runs.stdout, /FerryGate%20%3D%20'waiting'|FerryGate%20%3D%20%27waiting%27/);

  const noWorker = await ferry(['approve', id]);
  assert.equal(noWorker.code, 1);
  assert.equal(noWorker.stderr, `error: no worker answers on task queue ${h.taskQueue}: start one (ferry worker --task-queue ${h.taskQueue}), then decide again; nothing was decided\n`);

  const second = await startGateWorker(h.taskQueue);
  const approved = await ferry(['approve', id, '--by', 'ada', '--comment', 'known short day']);
  assert.equal(approved.code, 0, approved.stderr);
  assert.match(approved.stdout, new RegExp(`^approved ${id} by ada at \\S+Z \\(known short day\\)\\n  the run goes on to deliver every row; the failing rules and their rows stay listed in the report\\n  follow it: ferry status ${id}\\n$`));

  const report = (await h.client.workflow.getHandle(id).result()) as RunReport;
  assert.equal(report.status, 'completed');
  assert.deepEqual([report.decision?.decision, report.decision?.by, report.decision?.comment, report.decision?.timedOut], ['approve', 'ada', 'known short day', undefined]);
  assert.deepEqual(report.sinks.map((s) => [s.sink, s.status, s.rows]), [['out', 'delivered', 6]]);
  assert.deepEqual(await sinkRows(out), await productRows());
  const view = await watched;
  assert.equal(view.code, 0, view.stderr);
  assert.equal(view.stdout.split('\n').filter((l) => l.includes('waiting for a decision')).length, 1, view.stdout);
  assert.ok(view.stdout.includes(`! waiting for a decision on row_count:products: ferry approve|reject|quarantine ${id} (Ctrl-C stops watching; the run keeps waiting)\n`), view.stdout);
  assert.match(view.stdout, new RegExp(`${name} completed in `));

  const again = await ferry(['reject', id]);
  assert.equal(again.code, 1);
  assert.equal(again.stderr, `error: run ${id} is not waiting for a decision: it has ended (completed); it was decided: approve by ada at ${report.decision!.at}\n`);
  const unknown = await ferry(['quarantine', `${id}-nope`]);
  assert.equal(unknown.code, 1);
  assert.equal(unknown.stderr, `error: no run with id ${id}-nope (ferry runs lists the recent ones)\n`);
  assert.deepEqual((await h.client.workflow.getHandle(id).describe()).searchAttributes.FerryGate, ['approve']);
  await killed(second);
});

/** A dev server of this test's own on `port`, its state in `db`: the shared one is never restarted. */
function startServer(port: number, db: string): ChildProcess {
  const child = spawn(join(BIN, 'temporal'), ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--headless', '--db-filename', db, '--log-level', 'error',
    ...['FerryPipeline', 'FerryRunDate', 'FerryTrigger', 'FerryGate'].flatMap((n) => ['--search-attribute', `${n}=Keyword`])], { stdio: 'ignore' });
  processes.push(child);
  return child;
}

async function serverReady(address: string): Promise<void> {
  await h.waitFor(`the dev server on ${address}`, () =>
    spawnSync(join(BIN, 'temporal'), ['operator', 'namespace', 'describe', '--namespace', 'default', '--address', address, '--command-timeout', '3s'], { stdio: 'ignore' }).status === 0, 60_000);
}

test('the Temporal server is killed and started again on its db file while a run waits: still waiting, same deadline; ferry quarantine completes it', async () => {
  const port = 17300 + Math.floor(Math.random() * 500);
  const address = `127.0.0.1:${port}`;
  const db = resolve(dir, 'temporal.db');
  const env = { TEMPORAL_ADDRESS: address };
  let server = startServer(port, db);
  await serverReady(address);
  const connect = async () => new Client({ connection: await Connection.connect({ address }) });
  let client = await connect();
  try {
    const name = `gate_restart_${randomId()}`;
    const file = await askingPipeline(dir, name, { timeout: '1h', default: 'reject' });
    const out = join(dir, `${name}.csv`);
    const id = `${name}-run`;
    const worker = await startGateWorker(h.taskQueue, address);
    const started = await ferry(['run', file, '--id', id, '--task-queue', h.taskQueue], env);
    assert.equal(started.code, 0, started.stderr);
    const before = await untilWaiting(client, id);

    await killed(server);
    await client.connection.close();
    server = startServer(port, db);
    await serverReady(address);
    client = await connect();

    // The same worker process rode the outage out (it reconnects); the run waits where it was.
    const after = await untilWaiting(client, id);
    assert.deepEqual(after.gate, before.gate);
    assert.equal(after.gate!.deadline, new Date(Date.parse(before.gate!.askedAt) + 3_600_000).toISOString());
    const runs = await ferry(['runs', '--status', 'waiting'], env);
    assert.match(runs.stdout.split('\n')[1]!, new RegExp(`^${id} +${name} +\\S+ +cli +waiting `), runs.stdout);

    const decided = await ferry(['quarantine', id, '--by', 'ops'], env);
    assert.equal(decided.code, 0, decided.stderr);
    assert.ok(decided.stdout.includes('\n  no row breaks a row rule (the failing rules are table rules): nothing is set aside, every row is delivered\n'), decided.stdout);
    const report = (await client.workflow.getHandle(id).result()) as RunReport;
    assert.deepEqual([report.status, report.decision?.decision, report.decision?.by], ['completed', 'quarantine', 'ops']);
    assert.deepEqual(await sinkRows(out), await productRows());
    await killed(worker);
  } finally {
    await client.connection.close();
    await killed(server);
  }
});

test('end to end with the real quality rules: a range rule asks, `ferry quarantine` delivers the 5 rows in range and the 1 reject, with its rule and reason', async () => {
  const name = `gate_e2e_${randomId()}`;
  const file = join(dir, `${name}.yaml`);
  const [kept, rejects] = [join(dir, `${name}.csv`), join(dir, `${name}_rejects.csv`)];
  await writeFile(file, `name: ${name}
sources:
  products: { type: file, path: ${PRODUCTS} }
quality:
  on_fail: ask
  rules:
    - { rule: range, dataset: products, column: unit_price, max: 100 }
sinks:
  out: { type: file, input: products, path: ${kept} }
  rejects: { type: file, input: products_rejects, path: ${rejects} }
`);
  // Its own task queue: no gate worker (fake quality) of the other tests may take its activities.
  const taskQueue = `${h.taskQueue}-e2e`;
  const worker = await startFerryWorker({ taskQueue, waitFor: h.waitFor }, processes);
  const id = `${name}-run`;
  const started = await ferry(['run', file, '--id', id, '--task-queue', taskQueue]);
  assert.equal(started.code, 0, started.stderr);
  const waiting = await untilWaiting(h.client, id);
  assert.deepEqual(waiting.quality?.outcomes.map((o) => [o.name, o.status, o.checked, o.failed]), [['range:products.unit_price', 'failed', 6, 1]]);

  const runs = await ferry(['runs', '--status', 'waiting', '--pipeline', name]);
  const lines = runs.stdout.split('\n');
  assert.match(lines[5]!, /^ {2}✖ range:products\.unit_price {2}1 of 6 rows/);
  assert.match(lines[6]!, /^ {6}product_id=P03, name=Field Manual, category=books, unit_price=120(\.0+)?, active=true, _reason=/);

  const decided = await ferry(['quarantine', id, '--by', 'ada']);
  assert.equal(decided.code, 0, decided.stderr);
  assert.equal(decided.stdout.split('\n')[1], '  the run delivers the rows that pass and sets the rows that broke the rules aside (products → products_rejects)');
  const report = (await h.client.workflow.getHandle(id).result()) as RunReport;
  assert.deepEqual(report.sinks.map((s) => [s.sink, s.status, s.rows]), [['out', 'delivered', 5], ['rejects', 'delivered', 1]]);
  const all = await productRows();
  assert.deepEqual(await sinkRows(kept), all.filter((l) => !l.startsWith('P03,')));
  const rejected = await sinkRows(rejects);
  assert.equal(rejected.length, 2);
  assert.ok(rejected[0]!.startsWith(`${all[0]},_rule,_reason`), rejected[0]);
  assert.ok(rejected[1]!.startsWith('P03,Field Manual,books,120'), rejected[1]);
  assert.ok(rejected[1]!.includes('range:products.unit_price'), rejected[1]);
  await killed(worker);
});
