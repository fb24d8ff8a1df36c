/**
 * The evaluator's outcomes of table rules: a rule that could not be evaluated (too little history)
 * is reported as 'not evaluated' — neither passed nor failed — and never stops the run.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { TableEngine } from '../../../src/table/engine.js';
import { verdictOf } from '../../../src/quality/verdict.js';
import { openEngine, table, check } from './support.js';

let engine: TableEngine;
let close: () => Promise<void>;
before(async () => ({ engine, close } = await openEngine()));
after(async () => close());

test('an anomaly rule without history: status not evaluated, the reason in the message, the verdict pass', async () => {
  await table(engine, 'young', 'id', '(1), (2), (3)');
  const { outcomes } = await check(engine, [{ rule: 'anomaly', dataset: 'young', metric: 'row_count' }]);
  assert.deepEqual(outcomes, [{
    name: 'anomaly:young.row_count', rule: 'anomaly', dataset: 'young', severity: 'error', onFail: 'fail', kind: 'table',
    status: 'not evaluated', message: 'not evaluated: 0 of 5 runs', value: 3,
  }]);
  assert.equal(verdictOf(outcomes), 'pass');
});
