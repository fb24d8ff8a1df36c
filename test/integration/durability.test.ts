/**
 * A killed worker costs time, never rows: SIGKILL the worker process while the HTTP sink is
 * delivering, start a new one, and the run completes with exactly the same result. At the default
 * settings the killed activity runs again on the new worker within 30 s, and the new worker sweeps
 * the killed one's work folder.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFerryWorker, startWorkerProcess } from '../support/ferry-worker.js';
import { startHarness, warehouseRows, RETAIL, RETAIL_ROWS } from '../support/harness.js';
import type { RunReport } from '../../src/run.js';

let h: Awaited<ReturnType<typeof startHarness>>;
const workers: ChildProcess[] = [];

before(async () => {
  // Each /ingest batch takes 1.5 s to be acknowledged, so delivery is slow enough to be interrupted.
  h = await startHarness({ ingestDelayMs: 1500, inProcessWorker: false });
  await h.seed();
});
after(async () => {
  for (const w of workers) w.kill('SIGKILL');
  await h?.stop();
});

test('a worker killed with SIGKILL mid-delivery is replaced and the run ends with the exact rows', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-test-'));
  const file = join(dir, 'retail.yaml');
  // The example as it is: the default settings (heartbeat_timeout 20s), no shortened timeouts.
  await writeFile(file, await readFile(RETAIL, 'utf8'));
  process.env.FERRY_CONNECTIONS = 'config/connections.yaml';

  const first = await startFerryWorker(h, workers);
  const handle = await h.start(file);
  await h.waitFor('the first batch to reach the API', () => h.api.received.length >= 1, 90_000);

  // Mid-run, the progress query tells the stage and the rows of every finished step.
  const progress = await handle.query<RunReport>('progress');
  assert.equal(progress.status, 'running');
  assert.equal(progress.stage, 'deliver');
  assert.deepEqual(progress.stages.map((st) => [st.stage, st.status]), [['ingest', 'completed'], ['standardize', 'completed'], ['preprocess', 'completed'], ['quality', 'completed'], ['deliver', 'running']]);
  assert.deepEqual(Object.fromEntries(progress.stages[0]!.datasets.map((d) => [d.dataset, d.rows])), { sales: 11, products: 5, transactions: 10, customers: 6, rates: 3 });

  first.kill('SIGKILL');
  await once(first, 'exit');
  const acknowledgedBeforeKill = h.api.received.length;
  assert.ok(acknowledgedBeforeKill < 3, 'the worker died before delivery finished');

  await startFerryWorker(h, workers);
  const report = (await handle.result()) as RunReport;
  await rm(dir, { recursive: true, force: true });

  assert.equal(report.status, 'completed');
  const runId = handle.workflowId; // keys follow the logical run
  // Every batch arrived exactly once (replays of an acknowledged key are dropped by the receiver).
  assert.deepEqual(h.api.received.map((b) => b.key), [1, 2, 3].map((n) => `${runId}-api-${n}`));
  assert.deepEqual(h.api.received.flatMap((b) => b.records.map((r) => r.sale_id)).sort(), RETAIL_ROWS.map((r) => r[0]));
  assert.deepEqual(await warehouseRows(h), RETAIL_ROWS);

  // The deliver activity really was retried on the second worker.
  const history = await handle.fetchHistory();
  const attempts = history.events!.flatMap((e) => (e.activityTaskStartedEventAttributes ? [e.activityTaskStartedEventAttributes.attempt ?? 1] : []));
  assert.ok(attempts.some((a) => a >= 2), `expected a retried activity, attempts: ${attempts.join(',')}`);
});

/** PendingActivityState.PENDING_ACTIVITY_STATE_STARTED */
const STARTED = 2;

/** The worker script of test/support, with default settings, in its own process and work root. */
const startDefaultWorker = (workRoot: string): Promise<ChildProcess> => startWorkerProcess(h, workers, { FERRY_WORK_ROOT: workRoot });

test('at default settings, a SIGKILLed worker\'s activity runs again on another worker within 30 s, with exact rows', async (t) => {
  // Workers of the test before poll the same task queue: stop them, so only this test's workers run.
  for (const w of workers.splice(0)) {
    if (w.exitCode === null && w.signalCode === null) {
      w.kill('SIGTERM');
      await once(w, 'exit');
    }
  }
  await h.seed();
  const dir = await mkdtemp(join(tmpdir(), 'ferry-test-'));
  const workRoot = join(dir, 'work');
  const file = join(dir, 'retail.yaml');
  // The example sets no settings: this run uses what a user gets by default.
  const yaml = await readFile(RETAIL, 'utf8');
  assert.ok(!yaml.includes('settings:'), 'no settings left: defaults only');
  await writeFile(file, yaml);
  process.env.FERRY_CONNECTIONS = 'config/connections.yaml';
  try {
    const first = await startDefaultWorker(workRoot);
    const handle = await h.start(file);
    await h.waitFor('the first batch to reach the API', () => h.api.received.length >= 1, 90_000);
    const [firstDir] = (await readdir(workRoot)).filter((d) => d.startsWith(`${first.pid}-`));
    assert.ok(firstDir, 'the first worker has its work folder');

    first.kill('SIGKILL');
    await once(first, 'exit');
    const killedAt = Date.now();
    assert.ok(h.api.received.length < 3, 'the worker died before delivery finished');

    await startDefaultWorker(workRoot);
    assert.equal(existsSync(join(workRoot, firstDir)), false, 'the new worker swept the killed worker\'s work folder');

    // The moment the deliver activity's next attempt is running on the new worker.
    let retriedAfterMs = -1;
    await h.waitFor('the next attempt to start', async () => {
      const pending = (await handle.describe()).raw.pendingActivities ?? [];
      const retried = pending.some((a) => (a.attempt ?? 1) >= 2 && Number(a.state) === STARTED);
      if (retried) retriedAfterMs = Date.now() - killedAt;
      return retried || (await handle.describe()).status.name !== 'RUNNING';
    }, 60_000);
    t.diagnostic(`next attempt started ${(retriedAfterMs / 1000).toFixed(1)} s after SIGKILL (default settings)`);
    assert.ok(retriedAfterMs > 0 && retriedAfterMs < 30_000, `next attempt after ${retriedAfterMs} ms`);

    const report = (await handle.result()) as RunReport;
    assert.equal(report.status, 'completed');
    const runId = handle.workflowId;
    assert.deepEqual(h.api.received.map((b) => b.key), [1, 2, 3].map((n) => `${runId}-api-${n}`));
    assert.deepEqual(h.api.received.flatMap((b) => b.records.map((r) => r.sale_id)).sort(), RETAIL_ROWS.map((r) => r[0]));
    assert.deepEqual(await warehouseRows(h), RETAIL_ROWS);
  } finally {
    delete process.env.FERRY_CONNECTIONS;
    await rm(dir, { recursive: true, force: true });
  }
});
