/** A run laid over the retail graph: rows, columns, durations, statuses and errors land on the right nodes. */
import { loadRetailPlain } from '../../support/retail-plain.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pipelineGraph } from '../../../src/viz/model.js';
import { runState, liveLines } from '../../../src/viz/run-state.js';
import type { RunReport, StageReport } from '../../../src/run.js';
import type { RunListing } from '../../../src/runs.js';

const graph = async () => pipelineGraph(await loadRetailPlain());
const listing = (status: RunListing['status']): RunListing => ({ workflowId: 'r1', runId: 'x', pipeline: 'retail', runDate: '2024-01-05', trigger: 'cli', status, startTime: new Date('2024-01-05T00:00:00Z') });
const ds = (dataset: string, rows: number, names: string[] = ['id']) => ({ dataset, rows, columns: names.length, uri: `u/${dataset}`, schema: names.map((name) => ({ name, type: 'VARCHAR' })) });
const stage = (s: StageReport['stage'], status: StageReport['status'], datasets: StageReport['datasets'] = [], extra: Partial<StageReport> = {}): StageReport => ({ stage: s, status, datasets, ...extra });
const report = (stages: StageReport[], extra: Partial<RunReport> = {}): RunReport => ({
  pipeline: 'retail', workflowId: 'r1', run: { key: 'r1', time: '2024-01-05T00:00:00Z', date: '2024-01-05', timezone: 'UTC', trigger: 'cli' },
  status: 'completed', stage: 'done', startedAt: '2024-01-05T00:00:00.000Z', finishedAt: '2024-01-05T00:00:02.000Z', durationMs: 2000, stages,
  sinks: [
    { sink: 'warehouse', type: 'postgres', status: 'delivered', target: 'postgres retail.sales_enriched', rows: 9, detail: 'upsert' },
    { sink: 'lake', type: 's3', status: 'delivered', target: 's3://ferry-demo/curated/sales_enriched.csv', rows: 9 },
    { sink: 'api', type: 'http', status: 'failed', target: 'http demo_api /ingest', error: 'HTTP 503' },
  ],
  ...extra,
});

test('a completed run: rows and columns per dataset, stage durations on steps, activity durations on sources and sinks', async () => {
  const r = report([
    stage('ingest', 'completed', [ds('sales', 11, ['sale_id', 'amount']), ds('products', 5), ds('transactions', 10), ds('customers', 6), ds('rates', 3)], { durationMs: 400 }),
    stage('standardize', 'completed', [ds('sales', 11), ds('products', 5), ds('customers', 6), ds('enriched', 11)], { durationMs: 150 }),
    stage('preprocess', 'reused', [ds('enriched', 9), ds('abnormal_sales', 1), ds('sales_final', 9, ['sale_id', 'amount_usd'])], { durationMs: 5 }),
    stage('deliver', 'failed', [{ ...ds('sales_final', 9, ['sale_id', 'amount_usd']), dataset: 'sales_final → warehouse' }], { durationMs: 900 }),
  ]);
  const timings = [{ activity: 'ingest sales', durationMs: 321, attempts: 1, closed: true }, { activity: 'deliver api', durationMs: 800, attempts: 3, closed: true }];
  const run = runState(await graph(), { listing: listing('completed'), report: r, timings, url: 'http://ui/r1' });
  assert.deepEqual(run.nodes['source:sales'], { status: 'completed', rows: 11, columns: [{ name: 'sale_id', type: 'VARCHAR' }, { name: 'amount', type: 'VARCHAR' }], durationMs: 321, durationOf: 'activity' });
  assert.deepEqual(run.nodes['dataset:enriched@standardize'], { status: 'completed', rows: 11, columns: [{ name: 'id', type: 'VARCHAR' }] });
  assert.deepEqual(run.nodes['dataset:abnormal_sales@preprocess']?.rows, 1);
  assert.equal(run.nodes['dataset:sales_final@preprocess']?.status, 'reused');
  assert.deepEqual(run.nodes['step:standardize:3'], { status: 'completed', durationMs: 150, durationOf: 'stage' });
  assert.deepEqual(run.nodes['sink:warehouse'], { status: 'delivered', rows: 9, columns: [{ name: 'sale_id', type: 'VARCHAR' }, { name: 'amount_usd', type: 'VARCHAR' }], detail: 'postgres retail.sales_enriched · upsert' });
  assert.deepEqual(run.nodes['sink:api'], { status: 'failed', error: 'HTTP 503', detail: 'http demo_api /ingest', durationMs: 800, durationOf: 'activity', attempts: 3 });
  assert.equal(run.rowsDelivered, 18);
  assert.equal(run.status, 'completed');
  assert.equal(run.url, 'http://ui/r1');
  assert.equal(run.runDate, '2024-01-05');
  assert.equal(Object.keys(run.nodes).length, 28);
});

test('a run failed in ingest: the source its error names fails, the others that did not finish stopped', async () => {
  const r = report([
    stage('ingest', 'failed', [ds('sales', 11), ds('products', 5)], { error: 'stage ingest, dataset customers, GET http://x/customers: HTTP 401 Unauthorized' }),
    stage('standardize', 'pending'), stage('preprocess', 'pending'), stage('deliver', 'pending'),
  ], { status: 'failed', stage: 'ingest', error: 'ingest: …', sinks: [{ sink: 'warehouse', type: 'postgres', status: 'not started', target: 't' }] });
  const run = runState(await graph(), { listing: listing('failed'), report: r, url: 'u' });
  assert.equal(run.nodes['source:sales']?.status, 'completed');
  assert.deepEqual(run.nodes['source:customers'], { status: 'failed', error: 'stage ingest, dataset customers, GET http://x/customers: HTTP 401 Unauthorized' });
  assert.deepEqual(run.nodes['source:rates'], { status: 'stopped' });
  assert.deepEqual(run.nodes['step:standardize:0'], { status: 'pending' });
  assert.deepEqual(run.nodes['sink:warehouse'], { status: 'not started', detail: 't' });
  assert.equal(run.error, 'ingest: …');
  assert.equal(run.rowsDelivered, undefined);
});

test('a failed transform: the step its error names fails, the ones before ran, the ones after did not', async () => {
  const r = report([
    stage('ingest', 'completed', [ds('sales', 11)]),
    stage('standardize', 'failed', [], { durationMs: 80, error: 'stage standardize, field standardize[4] (join): key product_id twice on the right' }),
    stage('preprocess', 'pending'), stage('deliver', 'pending'),
  ], { status: 'failed' });
  const run = runState(await graph(), { listing: listing('failed'), report: r, url: 'u' });
  assert.deepEqual(run.nodes['step:standardize:3'], { status: 'completed' });
  assert.deepEqual(run.nodes['step:standardize:4'], { status: 'failed', error: 'stage standardize, field standardize[4] (join): key product_id twice on the right', durationMs: 80, durationOf: 'stage' });
  assert.deepEqual(run.nodes['step:standardize:5'], { status: 'not started' });
  assert.deepEqual(run.nodes['dataset:enriched@standardize'], { status: 'stopped' });
});

test('a running run: heartbeats land on their source or sink, running sinks show as running', async () => {
  const r = report([
    stage('ingest', 'completed', [ds('sales', 11)]), stage('standardize', 'completed'), stage('preprocess', 'completed'),
    stage('deliver', 'running'),
  ], { status: 'running', stage: 'deliver', finishedAt: undefined, durationMs: undefined, sinks: [{ sink: 'api', type: 'http', status: 'not started', target: 't' }, { sink: 'lake', type: 's3', status: 'delivered', target: 'l', rows: 9 }] });
  const activities = ['deliver api (attempt 2): batch 2 · 8 rows', 'deliver warehouse: started'];
  const run = runState(await graph(), { listing: listing('running'), report: r, activities, url: 'u' });
  assert.deepEqual(run.nodes['sink:api'], { status: 'running', detail: 't', live: 'batch 2 · 8 rows (attempt 2)' });
  assert.equal(run.nodes['sink:lake']?.status, 'delivered');
  assert.equal(run.nodes['sink:lake']?.live, undefined, 'a finished sink shows no heartbeat');
  assert.deepEqual(run.activities, activities);
  assert.equal(run.stage, 'deliver');
});

test('no report (terminated, or no worker answers): every node shows the run status, and the run says so', async () => {
  const run = runState(await graph(), { listing: listing('terminated'), url: 'u' });
  assert.equal(run.reported, false);
  assert.equal(run.status, 'terminated');
  assert.deepEqual(new Set(Object.values(run.nodes).map((n) => n.status)), new Set(['terminated']));
});

test('heartbeat lines by activity', () => {
  assert.deepEqual([...liveLines(['ingest customers: page 2 · 8 rows', 'standardize: started', 'verify staged data: started', 'deliver api (attempt 3): batch 1', 'quality: 1000 rows'])], [
    ['ingest customers', 'page 2 · 8 rows'], ['standardize', 'started'], ['deliver api', 'batch 1 (attempt 3)'], ['quality', '1000 rows'],
  ]);
});
