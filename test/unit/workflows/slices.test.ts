/**
 * Activity inputs are slices of the plan: each carries its own source or sink spec, the connection
 * it names and its stage's steps, never the rest of the plan.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadPipeline } from '../../../src/pipeline/load.js';
import { planOf } from '../../../src/cli/start.js';
import { ingestSlice, deliverSlice, transformSlice, targetOf } from '../../../workflows/slices.js';
import type { DatasetRef } from '../../../src/run.js';
import { RUN } from '../../support/run-context.js';

const ref = (dataset: string): DatasetRef => ({ dataset, stage: 'preprocess', uri: `.ferry/staging/retail/x/preprocess/${dataset}.parquet`, rows: 9, bytes: 100, columns: [], sha256: 'ab' });

test('each retail activity gets its own spec and connection, nothing of the other sources and sinks', async () => {
  const plan = planOf(await loadPipeline('config/pipelines/retail.yaml', { connectionsFile: 'config/connections.yaml' }));
  const { spec } = plan;

  for (const dataset of Object.keys(spec.sources)) {
    const slice = ingestSlice(plan, RUN, dataset);
    assert.deepEqual(slice.source, spec.sources[dataset]);
    const named = (spec.sources[dataset] as { connection?: string }).connection;
    assert.deepEqual(Object.keys(slice.connections), named ? [named] : []);
    const text = JSON.stringify(slice);
    for (const [other, otherSpec] of Object.entries(spec.sources)) {
      if (other !== dataset && JSON.stringify(otherSpec) !== JSON.stringify(spec.sources[dataset])) assert.ok(!text.includes(JSON.stringify(otherSpec)), `${dataset} carries ${other}`);
    }
    for (const sinkSpec of Object.values(spec.sinks)) assert.ok(!text.includes(JSON.stringify(sinkSpec)));
    assert.equal(slice.stallTimeout, '5m');
  }

  for (const sink of Object.keys(spec.sinks)) {
    const slice = deliverSlice(plan, RUN, sink, ref('sales_final'), '2024-01-01T00:00:00.000Z');
    assert.deepEqual(slice.spec, spec.sinks[sink]);
    assert.deepEqual(Object.keys(slice.connections), [(spec.sinks[sink] as { connection: string }).connection]);
    const text = JSON.stringify(slice);
    for (const [other, otherSpec] of Object.entries(spec.sinks)) if (other !== sink) assert.ok(!text.includes(JSON.stringify(otherSpec)), `${sink} carries ${other}`);
    for (const sourceSpec of Object.values(spec.sources)) assert.ok(!text.includes(JSON.stringify(sourceSpec)));
  }

  const t = transformSlice(plan, RUN, 'preprocess', { enriched: ref('enriched') });
  assert.deepEqual(t.steps, spec.preprocess);
  assert.equal(JSON.stringify(t).includes('"standardize"'), false);
  assert.equal('connections' in t, false);
});

test('a sink\'s target is told from its spec', () => {
  assert.deepEqual([
    targetOf({ type: 'postgres', connection: 'w', input: 'x', table: 'retail.sales', mode: 'append', keys: [], create_table: true } as never),
    targetOf({ type: 's3', connection: 'lake', input: 'x', bucket: 'b', key: 'k.csv' } as never),
    targetOf({ type: 'http', connection: 'api', input: 'x', path: '/ingest' } as never),
    targetOf({ type: 'file', input: 'x', path: 'out/x.csv' } as never),
  ], ['postgres retail.sales', 's3://b/k.csv', 'http api /ingest', 'file out/x.csv']);
});

test('a retry\'s ingest and deliver slices say which run they continue; other runs\' say nothing', async () => {
  const plan = planOf(await loadPipeline('config/pipelines/retail.yaml', { connectionsFile: 'config/connections.yaml' }));
  const sink = Object.keys(plan.spec.sinks)[0]!;
  const dataset = Object.keys(plan.spec.sources)[0]!;
  assert.equal('continues' in deliverSlice(plan, RUN, sink, ref('sales_final'), RUN.time), false);
  assert.equal('continues' in ingestSlice(plan, RUN, dataset), false);
  const retry = { ...plan, resume: { fromRunId: 'run-2', generation: 'run-1', ingest: {}, delivered: {} } };
  assert.equal(deliverSlice(retry, RUN, sink, ref('sales_final'), RUN.time).continues, 'run-1');
  assert.equal(ingestSlice(retry, RUN, dataset).continues, 'run-1');
  // A retry started by an older Ferry has no generation: it continues the run it retries.
  const older = { ...plan, resume: { fromRunId: 'run-2', ingest: {}, delivered: {} } };
  assert.equal(deliverSlice(older, RUN, sink, ref('sales_final'), RUN.time).continues, 'run-2');
});
