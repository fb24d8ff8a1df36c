/** Lineage from the graph: sources, steps as `<stage>[i] <type>`, joins merging both sides, quality splits. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lineageOf } from '../../../src/catalog/lineage.js';
import { stepSchema } from '../../../src/table/steps/index.js';

const step = (s: unknown) => stepSchema.parse(s);

test('a step output takes its inputs\' lineage and the step; a join merges both sides', () => {
  const graph = {
    sources: { sales: 'file', rates: 'http', customers: 'postgres' },
    standardize: [step({ type: 'rename', input: 'sales', columns: { amt: 'amount' } }), step({ type: 'filter', input: 'rates', where: 'rate > 0' })],
    preprocess: [
      step({ type: 'join', left: 'sales', right: 'rates', on: ['currency'], output: 'enriched' }),
      step({ type: 'join', left: 'enriched', right: 'customers', on: ['customer_id'], output: 'final' }),
    ],
  };
  const l = lineageOf(graph, [{ stage: 'ingest', dataset: 'sales_rejects' }, { stage: 'quality', dataset: 'final_rejects' }]);
  assert.deepEqual(l.sales, { sources: ['sales (file)'], steps: ['standardize[0] rename'] });
  assert.deepEqual(l.sales_rejects, { sources: ['sales (file)'], steps: [] });
  assert.deepEqual(l.enriched, { sources: ['rates (http)', 'sales (file)'], steps: ['standardize[0] rename', 'standardize[1] filter', 'preprocess[0] join'] });
  assert.deepEqual(l.final, { sources: ['customers (postgres)', 'rates (http)', 'sales (file)'], steps: ['standardize[0] rename', 'standardize[1] filter', 'preprocess[0] join', 'preprocess[1] join'] });
  assert.deepEqual(l.final_rejects!.steps.at(-1), 'quality');
});
