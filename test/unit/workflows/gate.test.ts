/**
 * The human gate in the pipeline workflow, with every activity faked (a local Temporal test server,
 * its search attributes registered): a run whose rule asks waits, marked waiting in visibility and
 * its memo, until `decide` — approve delivers every row, reject fails with no sink written,
 * quarantine delivers the kept rows — or until the timeout, then takes the default. The Update's
 * validator refuses an unknown decision, a run that is not waiting and a second decision.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { WorkflowFailedError, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { workflowsPath, installRuntime } from '../../../src/worker.js';
import { startRun } from '../../../src/client.js';
import { loadPipeline } from '../../../src/pipeline/load.js';
import { planOf } from '../../../src/cli/start.js';
import { FERRY_GATE, FERRY_PIPELINE, FERRY_RUN_DATE, FERRY_TRIGGER } from '../../../src/search-attributes.js';
import type { DatasetRef, DeliverInput, IngestInput, QualityInput, RunReport } from '../../../src/run.js';
import { decideUpdate, type GateMemo } from '../../../workflows/gate.js';
import { askingPipeline, askOutcome, fakeQuality, SAMPLE } from '../../support/gate.js';

const dir = join('.ferry', 'test-gate', Math.random().toString(16).slice(2, 10));
const taskQueue = 'gate-unit';
let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;

/** What the fake sink was given, by workflow id. */
const delivered = new Map<string, DatasetRef>();
/** Ingest of a pipeline named `…_slow` waits for this (a run that has not reached the gate yet). */
let releaseSlow: () => void = () => undefined;
const slow = new Promise<void>((resolve) => (releaseSlow = resolve));
/** Deliver of a pipeline named `…_slowdeliver` waits for this (a decided run still delivering). */
let releaseDeliver: () => void = () => undefined;
const slowDeliver = new Promise<void>((resolve) => (releaseDeliver = resolve));

const ref = (input: IngestInput): DatasetRef => ({ dataset: input.dataset, stage: 'ingest', uri: `mem://${input.dataset}`, rows: 6, bytes: 100, sha256: 'in', columns: [{ name: 'product_id', type: 'VARCHAR' }, { name: 'category', type: 'VARCHAR' }] });

before(async () => {
  await mkdir(dir, { recursive: true });
  installRuntime('ERROR');
  env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: join(process.env.FERRY_BIN_DIR ?? join(homedir(), '.cache/ferry/bin'), 'temporal') },
      searchAttributes: [FERRY_PIPELINE, FERRY_RUN_DATE, FERRY_TRIGGER, FERRY_GATE],
      ui: false,
      log: { format: 'pretty', level: 'error' },
    },
  });
  worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowsPath,
    activities: {
      ingest: async (input: IngestInput) => {
        if (input.pipeline.endsWith('_slow')) await slow;
        return { ref: ref(input), detail: 'fake' };
      },
      quality: (input: QualityInput) => fakeQuality(input.pipeline.includes('_table') ? 'table' : 'row')(input),
      deliver: async (input: DeliverInput) => {
        if (input.pipeline.endsWith('_slowdeliver')) await slowDeliver;
        delivered.set(input.run.key, input.input);
        return { sink: input.sink, type: 'file', target: 'file out', rows: input.input.rows };
      },
      finishRun: async () => ({ reportUri: 'mem://report.json', versions: {} }),
    },
  });
  running = worker.run();
});

after(async () => {
  releaseSlow();
  releaseDeliver();
  worker?.shutdown();
  await running;
  await env?.teardown();
  await rm(dir, { recursive: true, force: true });
});

let n = 0;
async function start(name: string, ask: { timeout?: string; default?: string } = {}): Promise<WorkflowHandle> {
  const file = await askingPipeline(dir, name, ask);
  return startRun(env.client, planOf(await loadPipeline(file)), { id: `${name}-${++n}`, taskQueue });
}

async function untilWaiting(handle: WorkflowHandle): Promise<RunReport> {
  for (let i = 0; i < 300; i++) {
    const report = await handle.query<RunReport>('progress');
    if (report.status === 'waiting') return report;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${handle.workflowId} never waited`);
}

const decide = (handle: WorkflowHandle, decision: string, by = 'ada', comment?: string) =>
  handle.executeUpdate(decideUpdate, { args: [{ decision, by, ...(comment ? { comment } : {}) }] });

/** The message the validator refused a decision with. */
async function refusal(p: Promise<unknown>): Promise<string> {
  const err = await p.then(() => assert.fail('the decision was accepted'), (e: unknown) => e);
  assert.ok(err instanceof WorkflowUpdateFailedError, String(err));
  return (err.cause as Error).message;
}

test('a waiting run: report.status waiting with the gate, FerryGate = waiting, the memo names the rule with its sample; approve delivers every row', async () => {
  const handle = await start('gate_approve');
  const waiting = await untilWaiting(handle);
  assert.deepEqual({ ...waiting.gate, askedAt: undefined }, { askedAt: undefined, default: 'reject', rules: ['not_null:products.category'] });
  assert.equal(waiting.stage, 'quality');
  const desc = await handle.describe();
  assert.deepEqual(desc.searchAttributes.FerryGate, ['waiting']);
  const memo = desc.memo?.gate as GateMemo;
  assert.deepEqual(memo.failed.map((o) => [o.name, o.samples]), [['not_null:products.category', [SAMPLE]]]);

  const decision = await decide(handle, 'approve', 'ada', 'known gap');
  assert.deepEqual({ ...decision, at: undefined }, { decision: 'approve', by: 'ada', comment: 'known gap', at: undefined });
  const report = (await handle.result()) as RunReport;
  assert.equal(report.status, 'completed');
  assert.deepEqual(report.decision, decision);
  assert.ok(Date.parse(report.decision!.at) >= Date.parse(report.gate!.askedAt), 'decided after it was asked');
  assert.equal(report.gate!.askedAt, waiting.gate!.askedAt, 'the gate is kept after the decision');
  assert.deepEqual(delivered.get(handle.workflowId), { ...ref({ dataset: 'products' } as IngestInput) }, 'every row (the input itself) delivered');
  assert.deepEqual(report.stages.find((s) => s.stage === 'quality')?.datasets.map((d) => [d.dataset, d.rows]), [['products_rejects', 1]]);
  assert.deepEqual((await handle.describe()).searchAttributes.FerryGate, ['approve']);
});

test('reject: the run fails saying who rejected it and why; no sink is written; the report in its memo has the decision', async () => {
  const handle = await start('gate_reject');
  await untilWaiting(handle);
  await decide(handle, 'reject', 'bob', 'wrong file');
  const err = await handle.result().then(() => assert.fail('completed'), (e: unknown) => e);
  assert.ok(err instanceof WorkflowFailedError);
  assert.equal((err.cause as Error).message, 'quality gate: rejected by bob: wrong file; no sink was written');
  assert.equal(delivered.has(handle.workflowId), false);
  const desc = await handle.describe();
  const report = desc.memo?.report as RunReport;
  assert.deepEqual([report.status, report.decision?.decision, report.decision?.by, report.sinks[0]?.status], ['failed', 'reject', 'bob', 'not started']);
  assert.deepEqual(desc.searchAttributes.FerryGate, ['reject']);
});

test('quarantine: the kept rows are delivered, the rejects staged beside them', async () => {
  const handle = await start('gate_quarantine');
  await untilWaiting(handle);
  await decide(handle, 'quarantine');
  const report = (await handle.result()) as RunReport;
  assert.deepEqual([delivered.get(handle.workflowId)?.uri, delivered.get(handle.workflowId)?.rows], ['mem://products#products', 5]);
  assert.deepEqual(report.stages.find((s) => s.stage === 'quality')?.datasets.map((d) => [d.dataset, d.rows]), [['products', 5], ['products_rejects', 1]]);
  assert.deepEqual(report.sinks.map((s) => [s.status, s.rows]), [['delivered', 5]]);
});

test('quarantine when only a table rule failed: nothing is set aside, every row is delivered', async () => {
  const handle = await start('gate_table');
  await untilWaiting(handle);
  await decide(handle, 'quarantine');
  const report = (await handle.result()) as RunReport;
  assert.equal(delivered.get(handle.workflowId)?.uri, 'mem://products');
  assert.deepEqual(report.quality?.outcomes, [askOutcome('table')]);
});

test('no decision before the timeout: the default, by timeout, timedOut; the deadline was in the gate', async () => {
  const handle = await start('gate_timeout', { timeout: '2s', default: 'quarantine' });
  const waiting = await untilWaiting(handle);
  assert.equal(Date.parse(waiting.gate!.deadline!) - Date.parse(waiting.gate!.askedAt), 2000);
  const report = (await handle.result()) as RunReport;
  assert.deepEqual({ ...report.decision, at: undefined }, { decision: 'quarantine', by: 'timeout', timedOut: true, at: undefined });
  assert.ok(Date.parse(report.decision!.at) - Date.parse(waiting.gate!.askedAt) >= 2000);
  assert.equal(delivered.get(handle.workflowId)?.rows, 5);
  const closed = await decide(handle, 'approve').then(() => assert.fail('a closed run took a decision'), (e: Error) => e);
  assert.match(closed.message, /workflow execution already completed/i);
});

test('a timeout whose default is reject fails the run and says no one decided', async () => {
  const handle = await start('gate_timeout_reject', { timeout: '1s' });
  const err = await handle.result().then(() => assert.fail('completed'), (e: unknown) => e);
  assert.equal(((err as WorkflowFailedError).cause as Error).message, 'quality gate: rejected by timeout (no decision before the timeout); no sink was written');
});

test('the validator: before the gate, an unknown decision, no one deciding, a second decision — each refused with why', async () => {
  const handle = await start('gate_slow');
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(await refusal(decide(handle, 'approve')), `run ${handle.workflowId} is not waiting for a decision; it is in stage ingest`);
  releaseSlow();
  await untilWaiting(handle);
  assert.equal(await refusal(decide(handle, 'ship-it')), "unknown decision 'ship-it': expected approve, reject or quarantine");
  assert.equal(await refusal(decide(handle, 'approve', ' ')), 'a decision needs who made it (by)');
  assert.equal(await refusal(decide(handle, 'approve', 'ada', 'x'.repeat(1001))), 'a comment is text of at most 1000 characters');
  const first = await decide(handle, 'approve', 'ada');
  assert.equal(await refusal(decide(handle, 'reject', 'bob')), `run ${handle.workflowId} was already decided: approve by ada at ${first.at}`);
  const report = (await handle.result()) as RunReport;
  assert.deepEqual(report.decision, first);
});

test('a waiting run cancelled: the run ends cancelled in quality, FerryGate says cancelled, nothing delivered', async () => {
  const handle = await start('gate_cancel');
  await untilWaiting(handle);
  await handle.cancel();
  await handle.result().then(() => assert.fail('completed'), () => undefined);
  const desc = await handle.describe();
  const report = desc.memo?.report as RunReport;
  assert.deepEqual([desc.status.name, report.status, report.error, report.decision], ['CANCELLED', 'cancelled', 'cancelled during quality', undefined]);
  assert.deepEqual(desc.searchAttributes.FerryGate, ['cancelled']);
  assert.equal(delivered.has(handle.workflowId), false);
});

test('a decided run is running again while it delivers (not still waiting)', async () => {
  const handle = await start('gate_slowdeliver');
  await untilWaiting(handle);
  await decide(handle, 'approve');
  let report = await handle.query<RunReport>('progress');
  for (let i = 0; i < 300 && report.stage !== 'deliver'; i++) {
    await new Promise((r) => setTimeout(r, 100));
    report = await handle.query<RunReport>('progress');
  }
  assert.deepEqual([report.status, report.stage, report.decision?.decision], ['running', 'deliver', 'approve']);
  releaseDeliver();
  assert.equal(((await handle.result()) as RunReport).status, 'completed');
});
