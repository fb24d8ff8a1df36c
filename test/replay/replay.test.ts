/**
 * Replays every recorded history (test/replay/histories, see histories.ts) against the current
 * workflow code: a change to the workflow that would break runs in flight fails here, naming the
 * history and the event that diverged (docs/replay.md; re-record with `npm run record-histories`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { workflowsPath, installRuntime } from '../../src/worker.js';
import { recordedHistories, divergence, workflowIdOf } from './histories.js';

installRuntime('ERROR');

const histories = recordedHistories();
const noop = () => undefined;
const quiet = { trace: noop, debug: noop, info: noop, warn: noop, error: noop, log: noop };
const bundle = bundleWorkflowCode({ workflowsPath, logger: quiet });

test('the suite holds every kind of run: completed, retried, failed, cancelled, scheduled, quarantine, fanned-out incremental, governed (decided at the gate, timed out), leased, and runs from before the last patch', () => {
  const names = histories.map((h) => h.name);
  for (const name of ['retail', 'retried', 'failed-bad-csv', 'cancelled', 'scheduled', 'quarantine', 'fan-out-incremental', 'governed', 'gate-timeout', 'rate-limited-lease']) assert.ok(names.includes(name), `no recorded history ${name}`);
  assert.ok(names.some((n) => n.startsWith('before-run-identity/')), 'no history from before the run-identity patch');
});

for (const h of histories) {
  test(`${h.name} replays against the current workflow code`, async () => {
    const result = await Worker.runReplayHistory({ workflowBundle: await bundle, replayName: h.name }, h.history, workflowIdOf(h)).then(() => undefined, (err: unknown) => err);
    if (result) assert.fail(divergence(h, result));
  });
}
