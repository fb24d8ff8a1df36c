/**
 * The `ferry` command as a user runs it: `run --wait` prints live progress and the run report and
 * exits 0; a failed run exits 1 naming the cause; `status` and `history` work on finished runs.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHarness, randomId, RETAIL } from '../support/harness.js';
import { workflowUrl } from '../../src/config.js';

let h: Awaited<ReturnType<typeof startHarness>>;
before(async () => {
  h = await startHarness();
  await h.seed();
});
after(async () => h?.stop());

function ferry(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/ferry.js', ...args], { env: { ...process.env, NO_COLOR: '1', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test('`ferry run --wait` shows progress, ends with the run report and exits 0', async () => {
  const id = `cli-${randomId()}`;
  const res = await ferry(['run', RETAIL, '--wait', '--id', id, '--task-queue', h.taskQueue]);
  assert.equal(res.code, 0, res.stderr);
  const out = res.stdout;
  assert.ok(out.startsWith(`started retail as ${id}\n  ${workflowUrl(id)}\n`), out);
  assert.match(out, /retail completed in [\d.]+m?s {2}\(cli-/);
  assert.match(out, / {2}ingest {7}completed +[\d.]+m?s {2}.*sales 11/);
  assert.match(out, / {2}preprocess {3}completed +[\d.]+m?s {2}enriched 9 · abnormal_sales 1 · sales_final 9/);
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
