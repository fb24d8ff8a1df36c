/** What `ferry retry` takes over from the run it retries: staged outputs and completed sinks, across retries of retries. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resumeOf } from '../../src/retry.js';
import type { RunPlan, DatasetRef, DeliverOutput } from '../../src/run.js';

const ref = (dataset: string, stage = 'ingest'): DatasetRef => ({ dataset, stage, uri: `st/p/run/${stage}/${dataset}.parquet`, rows: 1, bytes: 10, columns: [], sha256: `sha-${dataset}` });
const delivered = (sink: string): DeliverOutput => ({ sink, type: 'postgres', target: `postgres s.${sink}`, rows: 1 });
const plan = { pipeline: 'p' } as RunPlan;

test('completed activities become the resume state; failed ones are simply absent', () => {
  const resume = resumeOf(plan, 'run-1', [
    { type: 'ingest', input: { dataset: 'sales' }, result: { ref: ref('sales'), detail: 'd', extra: [ref('sales_rejects')] } },
    { type: 'ingest', input: { dataset: 'rates' }, result: { ref: ref('rates'), detail: 'd' } },
    { type: 'transform', input: { stage: 'standardize' }, result: { datasets: { enriched: ref('enriched', 'standardize') } } },
    { type: 'deliver', input: { sink: 'db' }, result: delivered('db') },
    { type: 'verifyStaged', input: { refs: [] }, result: { verified: [] } },
  ]);
  assert.deepEqual(resume, {
    fromRunId: 'run-1',
    generation: 'run-1',
    ingest: {
      sales: { ref: ref('sales'), detail: 'd', extra: [ref('sales_rejects')] },
      rates: { ref: ref('rates'), detail: 'd' },
    },
    standardize: { datasets: { enriched: ref('enriched', 'standardize') } },
    delivered: { db: delivered('db') },
  });
});

test('a retry of a retry keeps what the first run did and adds what the second did', () => {
  const first = resumeOf(plan, 'run-1', [
    { type: 'ingest', input: { dataset: 'sales' }, result: { ref: ref('sales'), detail: 'd' } },
    { type: 'deliver', input: { sink: 'db' }, result: delivered('db') },
  ]);
  const second = resumeOf({ ...plan, resume: first }, 'run-2', [{ type: 'deliver', input: { sink: 'api' }, result: delivered('api') }]);
  assert.equal(second.fromRunId, 'run-2');
  // Both continue the first run: its loads are theirs (a retry never replaces them).
  assert.deepEqual([first.generation, second.generation], ['run-1', 'run-1']);
  assert.deepEqual(Object.keys(second.ingest), ['sales']);
  assert.deepEqual(Object.keys(second.delivered).sort(), ['api', 'db']);
});
