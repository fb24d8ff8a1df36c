/**
 * The replay suite catches an unsafe change: the run-identity change without its `patched()` guard
 * (fixtures/unguarded-run-context.ts) breaks every run recorded before it, and the failure names
 * the history, the event that diverged and why.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import webpack from 'webpack';
import { workflowsPath, installRuntime } from '../../src/worker.js';
import { recordedHistories, divergence } from './histories.js';

installRuntime('ERROR');

const noop = () => undefined;
const quiet = { trace: noop, debug: noop, info: noop, warn: noop, error: noop, log: noop };
const unguarded = fileURLToPath(new URL('./fixtures/unguarded-run-context.ts', import.meta.url));

test('the worked example without patched() fails replay of a run from before it, at the event that diverged', async () => {
  const workflowBundle = await bundleWorkflowCode({
    workflowsPath,
    logger: quiet,
    // workflows/pipeline.ts imports './run-context.js'; the fixture itself imports the real module by another path.
    webpackConfigHook: (config) => ({ ...config, plugins: [...(config.plugins ?? []), new webpack.NormalModuleReplacementPlugin(/^\.\/run-context\.js$/, unguarded)] }),
  });
  const old = recordedHistories().find((h) => h.name === 'before-run-identity/retail')!;
  const err = await Worker.runReplayHistory({ workflowBundle, replayName: 'unguarded' }, old.history, old.name).then(() => undefined, (e: unknown) => e);
  assert.ok(err, 'the unguarded change replays: the suite would not catch it');
  assert.equal(divergence(old, err), 'workflow before-run-identity/retail diverges at event 5 (ActivityTaskScheduled, activity ingest): UpsertWorkflowSearchAttributesMachine does not handle HistoryEvent(id: 5, ActivityTaskScheduled)');
});
