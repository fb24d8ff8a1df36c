/**
 * `ferry cancel` stops a running source within seconds, at default settings: the workflow waits
 * for the activity to stop, reports the run as cancelled (run and stage), and the API stops seeing
 * requests.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { WorkflowFailedError } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import { startHarness, randomId } from '../support/harness.js';
import { startReceiver, type Receiver } from '../support/receiver.js';
import { loadPipeline } from '../../src/pipeline/load.js';
import { planOf } from '../../src/cli/start.js';
import { startRun } from '../../src/client.js';
import type { RunReport } from '../../src/run.js';

let h: Awaited<ReturnType<typeof startHarness>>;
let api: Receiver;
let dir: string;

before(async () => {
  h = await startHarness();
  api = await startReceiver();
  api.getDelayMs = 200; // an endless paginated list, five pages a second
  dir = await mkdtemp(join(tmpdir(), 'ferry-cancel-test-'));
  await writeFile(join(dir, 'connections.yaml'), `${await readFile('config/connections.yaml', 'utf8')}\nslow_api:\n  type: http\n  base_url: ${api.url}\n`);
  await writeFile(join(dir, 'pipeline.yaml'), `name: canceltest
sources:
  items:
    type: http
    connection: slow_api
    path: /items
    records: data
    paginate: { type: page_number, size_param: per_page, size: 2, total_pages_path: total_pages }
    max_pages: 1000000
sinks:
  out: { type: file, input: items, path: ${join(dir, 'out.csv')} }
`);
});
after(async () => {
  await api?.close();
  await h?.stop();
  await rm(dir, { recursive: true, force: true });
});

test('cancelling a run stops its source within seconds and the report says cancelled', async (t) => {
  const plan = planOf(await loadPipeline(join(dir, 'pipeline.yaml'), { connectionsFile: join(dir, 'connections.yaml') }));
  assert.equal(plan.spec.settings.heartbeat_timeout, '20s', 'default settings');
  const handle = await startRun(h.client, plan, { id: `cancel-${randomId()}`, taskQueue: h.taskQueue });
  await h.waitFor('the source to fetch a few pages', () => api.requests >= 5, 60_000);

  const cancelledAt = Date.now();
  await handle.cancel();
  const err = await handle.result().then(() => assert.fail('a cancelled run does not complete'), (e: unknown) => e);
  const closedAfterMs = Date.now() - cancelledAt;
  assert.ok(err instanceof WorkflowFailedError);
  assert.ok(err.cause instanceof CancelledFailure, String(err.cause));
  assert.equal((await handle.describe()).status.name, 'CANCELLED');

  // The run closed only once the source had stopped: no request after that.
  const atClose = api.requests;
  await sleep(3000);
  assert.equal(api.requests, atClose, 'the source went on fetching after the run was cancelled');
  t.diagnostic(`run closed ${(closedAfterMs / 1000).toFixed(1)} s after cancel; ${atClose} requests in all`);
  assert.ok(closedAfterMs < 6000, `took ${closedAfterMs} ms to stop`);

  const report = await handle.query<RunReport>('progress');
  assert.equal(report.status, 'cancelled');
  assert.equal(report.error, 'cancelled during ingest');
  assert.deepEqual(report.stages.map((s) => s.status), ['cancelled', 'pending', 'pending', 'pending', 'pending']);
  assert.deepEqual(report.sinks.map((s) => [s.sink, s.status]), [['out', 'not started']]);
});
