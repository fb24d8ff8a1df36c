/**
 * The `ferry` command as a user runs it: `run --wait` prints live progress and the run report and
 * exits 0; a failed run exits 1 naming the cause; `status` and `history` work on finished runs;
 * `history | head` exits quietly; while waiting, `run --wait` says when no worker polls the task
 * queue, shows pages and rows and retried activities with their last error; a cancelled or
 * terminated run shows as such.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHarness, randomId, RETAIL } from '../support/harness.js';
import { workflowUrl } from '../../src/config.js';
import { ferry } from '../support/ferry-cli.js';

let h: Awaited<ReturnType<typeof startHarness>>;
before(async () => {
  h = await startHarness();
  await h.seed();
});
after(async () => h?.stop());


test('`ferry run --wait` shows progress, ends with the run report and exits 0', async () => {
  const id = `cli-${randomId()}`;
  const res = await ferry(['run', RETAIL, '--wait', '--id', id, '--task-queue', h.taskQueue]);
  assert.equal(res.code, 0, res.stderr);
  const out = res.stdout;
  assert.ok(out.startsWith(`started retail as ${id}\n  ${workflowUrl(id)}\n`), out);
  assert.match(out, /retail completed in [\d.]+m?s {2}\(cli-/);
  assert.match(out, / {2}ingest {7}completed +[\d.]+m?s {2}.*sales 11/);
  assert.match(out, / {2}preprocess {3}completed +[\d.]+m?s {2}.*enriched 9 · abnormal_sales 1 · sales_final 9/);
  assert.match(out, / {4}warehouse {13}9 rows → postgres retail\.sales_enriched \(upsert\)/);
  assert.match(out, / {4}lake {18}9 rows → s3:\/\/ferry-demo\/curated\/sales_enriched\.csv \(csv\)/);
  assert.ok(out.includes(`Temporal UI: ${workflowUrl(id)}`));

  const status = await ferry(['status', id]);
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, new RegExp(`^${id} {2}COMPLETED`));
  assert.match(status.stdout, /deliver {6}completed/);

  const out2 = join(await mkdtemp(join(tmpdir(), 'ferry-cli-')), 'h.json');
  const history = await ferry(['history', id, '--out', out2]);
  assert.equal(history.code, 0, history.stderr);
  assert.match(history.stdout, /^wrote \d+ events to /);
  const json = JSON.parse(await readFile(out2, 'utf8')) as { events: { eventType: string }[] };
  assert.equal(json.events[0]!.eventType, 'EVENT_TYPE_WORKFLOW_EXECUTION_STARTED');
});

test('a failed run exits 1 and names the cause; the token never appears in the output', async () => {
  const res = await ferry(['run', RETAIL, '--wait', '--task-queue', h.taskQueue], {});
  assert.equal(res.code, 0, 'control: the same run succeeds');
  const token = process.env.DEMO_API_TOKEN!;
  process.env.DEMO_API_TOKEN = 'wrong-token-for-cli'; // the in-process worker reads it per attempt
  try {
    const bad = await ferry(['run', RETAIL, '--wait', '--task-queue', h.taskQueue]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /✖ run failed in ingest: stage ingest, dataset (customers|rates), GET http:\/\/127\.0\.0\.1:\d+\/(customers|rates).*HTTP 401 Unauthorized/);
    assert.ok(!bad.stderr.includes('    at '), 'no stack trace');
    assert.ok(!`${bad.stdout}${bad.stderr}`.includes(token));
  } finally {
    process.env.DEMO_API_TOKEN = token;
  }
});

test('`ferry worker` stops gracefully on SIGTERM and exits 0', async () => {
  const child = spawn(process.execPath, ['bin/ferry.js', 'worker', '--task-queue', `idle-${randomId()}`], { env: { ...process.env, NO_COLOR: '1' } });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  await h.waitFor('the worker to start', () => stdout.includes('ferry worker on task queue idle-'), 60_000);
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  child.kill('SIGTERM');
  assert.equal(await exited, 0);
  assert.match(stdout, /worker stopped\n$/);
});

test('`ferry cancel` stops a run in flight', async () => {
  const id = `cancel-${randomId()}`;
  // The /customers endpoint is slow for this run, so the run is still ingesting when it is cancelled.
  h.api.customersDelayMs = 5000;
  try {
    assert.equal((await ferry(['run', RETAIL, '--id', id, '--task-queue', h.taskQueue])).code, 0);
    const res = await ferry(['cancel', id]);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, new RegExp(`^cancellation requested for ${id}\n`));
    await assert.rejects(h.client.workflow.getHandle(id).result());
    assert.equal((await h.client.workflow.getHandle(id).describe()).status.name, 'CANCELLED');
  } finally {
    h.api.customersDelayMs = 0;
  }
});

/** A running `ferry` whose output can be awaited line by line. */
function ferryLive(args: string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, ['bin/ferry.js', ...args], { env: { ...process.env, NO_COLOR: '1', ...env } });
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (d: Buffer) => (out.stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out.stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  return { child, out, exited };
}

test('`ferry history <id> | head` exits quietly: a closed pipe is not an error', async () => {
  const { handle } = await h.run(RETAIL);
  const res = spawnSync('bash', ['-c', `set -o pipefail; node bin/ferry.js history ${handle.workflowId} | head -c 100 >/dev/null`], { encoding: 'utf8' });
  assert.equal(res.stderr, '');
  assert.equal(res.status, 0);
  // The history is bigger than a pipe's buffer, so the write really met a closed pipe.
  const full = spawnSync(process.execPath, ['bin/ferry.js', 'history', handle.workflowId], { encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.ok(full.stdout.length > 64 * 1024, `history is ${full.stdout.length} bytes`);
});

test('`run --wait` says when no worker polls the task queue (after the default 5 s); status shows a terminated run', async () => {
  const queue = `nobody-${randomId()}`;
  const id = `noworker-${randomId()}`;
  const run = ferryLive(['run', RETAIL, '--wait', '--id', id, '--task-queue', queue]);
  const t0 = Date.now();
  try {
    await h.waitFor('the no-worker notice', () => run.out.stdout.includes('no worker'), 30_000);
    const waited = Date.now() - t0;
    assert.ok(waited >= 5000, `said after ${waited} ms`);
    assert.match(run.out.stdout, new RegExp(`\\n! no worker has polled task queue ${queue} in the last \\d+s: start one with \`ferry worker --task-queue ${queue}\` \\(the run waits for it\\)\\n`));
    run.child.kill('SIGINT');
    assert.equal(await run.exited, 130);
    assert.match(run.out.stdout, new RegExp(`stopped watching; the run goes on. Follow it with: ferry status ${id}\\n$`));
  } finally {
    run.child.kill('SIGKILL');
    await h.client.workflow.getHandle(id).terminate('cleaned up by the test');
  }
  const status = await ferry(['status', id]);
  assert.equal(status.code, 1);
  assert.match(status.stdout, new RegExp(`^${id} {2}TERMINATED {2}started `));
  assert.match(status.stdout, /\n {2}terminated: cleaned up by the test\n/);
});

test('`run --wait` shows pages and rows while a stage runs, and a retried activity with its last error', async () => {
  let flakyCalls = 0;
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/flaky') {
      flakyCalls += 1;
      res.writeHead(flakyCalls <= 2 ? 503 : 200, { 'content-type': 'application/json' });
      res.end(flakyCalls <= 2 ? '{"error":"try later"}' : '[{"id":1},{"id":2}]');
      return;
    }
    const page = Number(url.searchParams.get('page'));
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ data: [{ id: page * 10 }, { id: page * 10 + 1 }], total_pages: 8 }));
    }, 800);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const dir = await mkdtemp(join(tmpdir(), 'ferry-watch-'));
  try {
    await writeFile(join(dir, 'connections.yaml'), `local:\n  type: http\n  base_url: http://127.0.0.1:${port}\n`);
    await writeFile(join(dir, 'watch.yaml'), [
      'name: watch_demo',
      'sources:',
      '  slow: { type: http, connection: local, path: /slow, records: data, paginate: { type: page_number, total_pages_path: total_pages } }',
      '  flaky: { type: http, connection: local, path: /flaky }',
      'settings:',
      '  heartbeat_timeout: 3s',
      '  retry: { initial_interval: 1s, maximum_interval: 2s }',
      '',
    ].join('\n'));
    const res = await ferry(['run', join(dir, 'watch.yaml'), '--wait', '--task-queue', h.taskQueue], { FERRY_CONNECTIONS: join(dir, 'connections.yaml') });
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /\n {6}ingest slow: page \d+ · \d+ rows\n/);
    assert.match(res.stdout, new RegExp(`\\n {6}ingest(?: flaky)?: .*— attempt 2(?: of \\d+)?, last error: .*GET http://127\\.0\\.0\\.1:${port}/flaky.*HTTP 503`));
    assert.match(res.stdout, /watch_demo completed in/);
    assert.match(res.stdout, / {2}ingest {7}completed +[\d.]+m?s {2}.*slow 16/);
    assert.equal(flakyCalls, 3);
  } finally {
    server.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('a cancelled run shows as cancelled in `run --wait` and in `status`', async () => {
  const id = `cancelled-${randomId()}`;
  h.api.customersDelayMs = 5000;
  try {
    const run = ferryLive(['run', RETAIL, '--wait', '--id', id, '--task-queue', h.taskQueue]);
    await h.waitFor('the run to start', () => run.out.stdout.includes(`started retail as ${id}`), 30_000);
    assert.equal((await ferry(['cancel', id])).code, 0);
    assert.equal(await run.exited, 1);
    assert.match(run.out.stderr, /✖ run cancelled/);
    assert.ok(!run.out.stderr.includes('    at '), 'no stack trace');
    const status = await ferry(['status', id]);
    assert.equal(status.code, 1);
    assert.match(status.stdout, new RegExp(`^${id} {2}CANCELLED {2}started `));
  } finally {
    h.api.customersDelayMs = 0;
  }
});

test('`ferry run --id` of a run that is still running says so and how to follow or stop it', async () => {
  const queue = `nobody-${randomId()}`;
  const id = `twice-${randomId()}`;
  assert.equal((await ferry(['run', RETAIL, '--id', id, '--task-queue', queue])).code, 0);
  try {
    const again = await ferry(['run', RETAIL, '--id', id, '--task-queue', queue]);
    assert.equal(again.code, 1);
    assert.equal(again.stderr.trim(), `error: run ${id} is already running (one logical run at a time): follow it with \`ferry status ${id}\`, or stop it with \`ferry cancel ${id}\` first`);
  } finally {
    await h.client.workflow.getHandle(id).terminate('cleaned up by the test');
  }
});
