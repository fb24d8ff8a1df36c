/**
 * src/viz/read.ts readRunView for a run that ended without a report (terminated): the view is
 * drawn from the run's history, as `ferry status` prints it — a source that completed has its
 * rows, the one in flight is terminated, sinks that never started say so, and the termination
 * reason is the run's error. Before, every node was painted "terminated", with no rows. A running
 * run that no worker answers for is read the same way, instead of painting every node "running".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Client } from '@temporalio/client';
import { loadPipeline } from '../../../src/pipeline/load.js';
import { pipelineGraph } from '../../../src/viz/model.js';
import { readRunView } from '../../../src/viz/read.js';

const p = (v: unknown) => ({ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from(JSON.stringify(v)) });
const ps = (v: unknown) => ({ payloads: [p(v)] });
const at = (s: number) => ({ seconds: 1_767_225_600 + s, nanos: 0 }); // 2026-01-01T00:00:00Z + s

test('a terminated run: rows of what completed, the activity in flight terminated, sinks not started, the reason as its error', async () => {
  const loaded = await loadPipeline('config/pipelines/retail.yaml');
  const plan = { pipeline: 'retail', file: loaded.file, params: {}, connections: {}, spec: loaded.spec, run: { time: '2024-01-05T00:00:00.000Z', trigger: 'schedule' } };
  const history = {
    events: [
      { eventId: 1, eventTime: at(0), workflowExecutionStartedEventAttributes: { input: ps(plan) } },
      { eventId: 5, eventTime: at(1), userMetadata: { summary: p('ingest sales') }, activityTaskScheduledEventAttributes: { activityType: { name: 'ingest' }, input: ps({ dataset: 'sales' }) } },
      { eventId: 6, eventTime: at(1), userMetadata: { summary: p('ingest products') }, activityTaskScheduledEventAttributes: { activityType: { name: 'ingest' }, input: ps({ dataset: 'products' }) } },
      { eventId: 7, eventTime: at(2), activityTaskStartedEventAttributes: { scheduledEventId: 5, attempt: 1 } },
      { eventId: 8, eventTime: at(3), activityTaskCompletedEventAttributes: { scheduledEventId: 5, result: ps({ ref: { dataset: 'sales', rows: 11, columns: [{ name: 'sale_id', type: 'VARCHAR' }], uri: 'u/sales' } }) } },
      { eventId: 9, eventTime: at(4), activityTaskStartedEventAttributes: { scheduledEventId: 6, attempt: 1 } },
      { eventId: 10, eventTime: at(9), workflowExecutionTerminatedEventAttributes: { reason: 'stuck' } },
    ],
  };
  const attributes: Record<string, string> = { FerryPipeline: 'retail', FerryRunDate: '2024-01-05', FerryTrigger: 'schedule' };
  const handle = {
    workflowId: 'retail-2024-01-05T00:00:00Z',
    describe: async () => ({
      workflowId: 'retail-2024-01-05T00:00:00Z', runId: 'r1', status: { name: 'TERMINATED' }, startTime: new Date('2026-01-01T00:00:00Z'), closeTime: new Date('2026-01-01T00:00:09Z'),
      historyLength: 10, taskQueue: 'q1', raw: { pendingActivities: [] }, memo: {}, typedSearchAttributes: { get: (key: { name: string }) => attributes[key.name] },
    }),
    fetchHistory: async () => history,
    query: async () => { throw new Error('not asked for an ended run'); },
  };
  const client = { workflow: { getHandle: () => handle }, withDeadline: (_: number, fn: () => Promise<unknown>) => fn() } as unknown as Client;

  const { run, report } = await readRunView(client, pipelineGraph(loaded), 'retail-2024-01-05T00:00:00Z');
  assert.equal(run.status, 'terminated');
  assert.equal(run.reported, false);
  assert.equal(run.error, 'terminated: stuck');
  assert.equal(run.runDate, '2024-01-05');
  assert.deepEqual(run.nodes['source:sales'], { status: 'completed', rows: 11, durationMs: 2000, durationOf: 'activity' });
  assert.equal(run.nodes['source:products']?.status, 'terminated');
  assert.equal(run.nodes['source:customers']?.status, 'terminated');
  assert.equal(run.nodes['step:standardize:0']?.status, 'pending');
  assert.deepEqual(run.nodes['sink:warehouse'], { status: 'not started', detail: 'postgres retail.sales_enriched' });
  assert.equal(report, undefined);
});

test('a running run no worker answers for: what ran so far from its history, a sink not started is not started', async () => {
  const loaded = await loadPipeline('config/pipelines/retail.yaml');
  const plan = { pipeline: 'retail', file: loaded.file, params: {}, connections: {}, spec: loaded.spec, run: { time: '2024-01-05T00:00:00.000Z', trigger: 'cli' } };
  const history = {
    events: [
      { eventId: 1, eventTime: at(0), workflowExecutionStartedEventAttributes: { input: ps(plan) } },
      { eventId: 5, eventTime: at(1), userMetadata: { summary: p('ingest sales') }, activityTaskScheduledEventAttributes: { activityType: { name: 'ingest' }, input: ps({ dataset: 'sales' }) } },
      { eventId: 6, eventTime: at(2), activityTaskStartedEventAttributes: { scheduledEventId: 5, attempt: 1 } },
    ],
  };
  const handle = {
    workflowId: 'w',
    describe: async () => ({
      workflowId: 'w', runId: 'r1', status: { name: 'RUNNING' }, startTime: new Date('2026-01-01T00:00:00Z'),
      historyLength: 6, taskQueue: 'q1', raw: { pendingActivities: [] }, memo: {}, typedSearchAttributes: { get: () => undefined },
    }),
    fetchHistory: async () => history,
    query: async () => { throw new Error('no worker polls the task queue'); },
  };
  const client = { workflow: { getHandle: () => handle }, withDeadline: (_: number, fn: () => Promise<unknown>) => fn() } as unknown as Client;

  const { run } = await readRunView(client, pipelineGraph(loaded), 'w');
  assert.equal(run.status, 'running');
  assert.equal(run.reported, false);
  assert.equal(run.error, undefined);
  assert.equal(run.durationMs, undefined);
  assert.equal(run.nodes['source:sales']?.status, 'running');
  assert.equal(run.nodes['step:standardize:0']?.status, 'pending');
  assert.equal(run.nodes['sink:warehouse']?.status, 'not started');
});
