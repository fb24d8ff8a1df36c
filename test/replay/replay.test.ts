/**
 * Replays every recorded history in test/replay/histories against the current workflow code: a
 * change to the workflow that would break runs in flight fails here (see docs/replay.md).
 * Record a new one with: `ferry history <workflow-id> --out test/replay/histories/<name>.json`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { workflowsPath, installRuntime } from '../../src/worker.js';

installRuntime('ERROR');

const dir = new URL('./histories/', import.meta.url);
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

test('recorded histories replay against the current workflow code', async () => {
  assert.ok(files.length > 0, 'no recorded histories');
  const workflowBundle = await bundleWorkflowCode({ workflowsPath, logger: quiet });
  const histories = files.map((f) => ({ workflowId: f.replace(/\.json$/, ''), history: JSON.parse(readFileSync(new URL(f, dir), 'utf8')) as unknown }));
  const results = [];
  for await (const r of Worker.runReplayHistories({ workflowBundle }, histories)) results.push(r);
  assert.deepEqual(results.map((r) => [r.workflowId, r.error ? String(r.error) : 'ok']), histories.map((h) => [h.workflowId, 'ok']));
});

const noop = () => undefined;
const quiet = { trace: noop, debug: noop, info: noop, warn: noop, error: noop, log: noop };
