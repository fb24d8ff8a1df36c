/**
 * Staging keys: a run's files stay in `<pipeline>/<run id>/`, whatever the run id is (Temporal
 * accepts any string as a workflow id, `ferry run --id ..` included).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkpointKey, stagingKey } from '../../../src/staging/store.js';

describe('stagingKey', () => {
  const CASES: [string, string][] = [
    ['retail-20240105T101500Z-ab12', 'retail/retail-20240105T101500Z-ab12/ingest/sales.parquet'],
    ['a/b c', 'retail/a_b_c/ingest/sales.parquet'],
    ['..', 'retail/__/ingest/sales.parquet'],
    ['.', 'retail/_/ingest/sales.parquet'],
    ['', 'retail/_/ingest/sales.parquet'],
    ['../..', 'retail/.._../ingest/sales.parquet'],
  ];
  for (const [id, key] of CASES) it(`run id ${JSON.stringify(id)} → ${key}`, () => assert.equal(stagingKey('retail', id, 'ingest', 'sales'), key));

  it('a checkpoint folder is in the run\'s folder too', () => {
    assert.equal(checkpointKey('retail', '..', 'ingest', 'customers'), 'retail/__/ingest/customers.parts');
  });
});
