/**
 * Thresholds (mostly exactly at the boundary, max_failures), severities and on_fail, and the
 * quarantine split: kept + rejects = input exactly, a row failing two rules is one reject row.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { TableEngine } from '../../../src/table/engine.js';
import { splitDataset } from '../../../src/quality/split.js';
import { verdictOf } from '../../../src/quality/verdict.js';
import { withinThreshold } from '../../../src/quality/words.js';
import { openEngine, table, check, outcome } from './support.js';

let engine: TableEngine;
let close: () => Promise<void>;
before(async () => ({ engine, close } = await openEngine()));
after(async () => close());

/** 1,000 rows, ids 1…1000, `nulls` of them (the first ones) with a NULL amount. */
const thousand = (name: string, nulls: number) =>
  engine.run(`CREATE OR REPLACE TABLE ${name} AS SELECT i AS id, CASE WHEN i <= ${nulls} THEN NULL ELSE i END AS amount FROM range(1, 1001) r(i)`);

describe('mostly', () => {
  it('passes exactly at the threshold and fails one row beyond it', async () => {
    await thousand('m5', 5);
    const at = await outcome(engine, { rule: 'not_null', dataset: 'm5', columns: ['amount'], mostly: 0.995 });
    assert.deepEqual([at.status, at.checked, at.failed, at.threshold, at.message], ['passed', 1000, 5, 'mostly 0.995', '5 of 1,000 rows have NULL in amount (0.50%; allowed 0.50%)']);
    await thousand('m6', 6);
    const over = await outcome(engine, { rule: 'not_null', dataset: 'm6', columns: ['amount'], mostly: 0.995 });
    assert.deepEqual([over.status, over.message], ['failed', '6 of 1,000 rows have NULL in amount (0.60%; allowed 0.50%)']);
  });
  it('a failed rule never reads as within its allowance: the allowed share has the digits mostly has', async () => {
    await table(engine, 'm12', 'amount', Array.from({ length: 5000 }, (_, i) => (i < 12 ? '(NULL)' : `(${i})`)).join(', '));
    const o = await outcome(engine, { rule: 'not_null', dataset: 'm12', columns: ['amount'], mostly: 0.99761 });
    assert.deepEqual([o.status, o.message], ['failed', '12 of 5,000 rows have NULL in amount (0.24%; allowed 0.239%)']);
  });
  it('is exact at boundaries floating point gets wrong', () => {
    // 0.7 * 10 is 7.000000000000001 in floating point: 7 passing of 10 must still pass.
    assert.equal(withinThreshold(3, 10, { mostly: 0.7 }), true);
    assert.equal(withinThreshold(4, 10, { mostly: 0.7 }), false);
    assert.equal(withinThreshold(29, 100, { mostly: 0.71 }), true);
    assert.equal(withinThreshold(0, 0, { mostly: 1 }), true);
    // 0.28 * 100 is 28.000000000000004: 28 passing of 100 is exactly mostly 0.28 and passes.
    assert.equal(withinThreshold(72, 100, { mostly: 0.28 }), true);
    assert.equal(withinThreshold(73, 100, { mostly: 0.28 }), false);
  });
});

describe('max_failures', () => {
  it('passes with at most n failed rows', async () => {
    await thousand('mf', 3);
    const ok = await outcome(engine, { rule: 'not_null', dataset: 'mf', columns: ['amount'], max_failures: 3 });
    assert.deepEqual([ok.status, ok.threshold, ok.message], ['passed', 'at most 3 rows', '3 of 1,000 rows have NULL in amount (0.30%; allowed 3 rows)']);
    const no = await outcome(engine, { rule: 'not_null', dataset: 'mf', columns: ['amount'], max_failures: 2 });
    assert.deepEqual([no.status, no.message], ['failed', '3 of 1,000 rows have NULL in amount (0.30%; allowed 2 rows)']);
  });
});

describe('severity and on_fail', () => {
  it('the rule\'s on_fail wins over the stage\'s; a table rule under stage quarantine fails; warnings never stop', async () => {
    await table(engine, 'sev', 'id', '(1), (NULL)');
    const { outcomes } = await check(engine, [
      { rule: 'not_null', dataset: 'sev', columns: ['id'] },
      { rule: 'not_null', dataset: 'sev', columns: ['id'], name: 'asked', on_fail: 'ask' },
      { rule: 'row_count', dataset: 'sev', min: 5 },
      { rule: 'not_null', dataset: 'sev', columns: ['id'], name: 'warned', severity: 'warn', on_fail: 'fail' },
    ], { on_fail: 'quarantine' });
    assert.deepEqual(outcomes.map((o) => [o.name, o.severity, o.onFail, o.status]), [
      ['not_null:sev.id', 'error', 'quarantine', 'failed'],
      ['asked', 'error', 'ask', 'failed'],
      ['row_count:sev.rows', 'error', 'fail', 'failed'],
      ['warned', 'warn', 'fail', 'failed'],
    ]);
    assert.equal(verdictOf(outcomes), 'fail');
    assert.equal(verdictOf(outcomes.slice(0, 2)), 'ask');
    assert.equal(verdictOf([outcomes[0]!]), 'quarantine');
    assert.equal(verdictOf([outcomes[3]!]), 'pass');
  });
  it('samples: at most quality.samples rows per rule, none with samples: 0', async () => {
    await thousand('smp', 20);
    assert.equal((await outcome(engine, { rule: 'not_null', dataset: 'smp', columns: ['amount'] })).samples!.length, 5);
    assert.deepEqual((await outcome(engine, { rule: 'not_null', dataset: 'smp', columns: ['amount'] }, { samples: 2 })).samples, [
      { id: '1', amount: null, _reason: 'NULL in amount' }, { id: '2', amount: null, _reason: 'NULL in amount' },
    ]);
    assert.equal((await outcome(engine, { rule: 'not_null', dataset: 'smp', columns: ['amount'] }, { samples: 0 })).samples, undefined);
  });
});

describe('quarantine split', () => {
  it('kept + rejects = input exactly; a row failing two rules is one reject listing both', async () => {
    await table(engine, 'q', 'id, amount', '(1, 10), (2, NULL), (3, -5), (NULL, -1), (5, 7), (5, 8)');
    const { flags } = await check(engine, [
      { rule: 'not_null', dataset: 'q', columns: ['id', 'amount'] },
      { rule: 'range', dataset: 'q', column: 'amount', min: 0 },
      // a warn rule and a passing rule never reject
      { rule: 'unique', dataset: 'q', columns: ['id'], severity: 'warn' },
      { rule: 'max_length', dataset: 'q', column: 'id', max: 5 },
    ], { on_fail: 'quarantine' });
    await splitDataset(engine, 'q', flags.q!);
    assert.deepEqual(await engine.rows('SELECT id, amount FROM q'), [{ id: 1, amount: 10 }, { id: 5, amount: 7 }, { id: 5, amount: 8 }]);
    assert.deepEqual(await engine.rows('SELECT * FROM q_rejects'), [
      { id: 2, amount: null, _rule: 'not_null:q.id,amount', _reason: 'NULL in amount' },
      { id: 3, amount: -5, _rule: 'range:q.amount', _reason: "amount '-5' is below 0" },
      { id: null, amount: -1, _rule: 'not_null:q.id,amount; range:q.amount', _reason: "NULL in id; amount '-1' is below 0" },
    ]);
  });
  it('a rule that passed within its threshold keeps its violating rows', async () => {
    await thousand('qm', 5);
    const { flags } = await check(engine, [
      { rule: 'not_null', dataset: 'qm', columns: ['amount'], mostly: 0.995 },
      { rule: 'range', dataset: 'qm', column: 'amount', max: 990 },
    ], { on_fail: 'quarantine' });
    await splitDataset(engine, 'qm', flags.qm!);
    assert.deepEqual(await engine.rows('SELECT (SELECT count(*) FROM qm) AS kept, (SELECT count(*) FROM qm_rejects) AS rejects, (SELECT count(*) FROM qm WHERE amount IS NULL) AS null_kept'), [{ kept: 990, rejects: 10, null_kept: 5 }]);
  });
  it('nothing failed: rejects has 0 rows and the same columns', async () => {
    await table(engine, 'qok', 'id, name', "(1, 'a'), (2, 'b')");
    const { flags } = await check(engine, [{ rule: 'not_null', dataset: 'qok', columns: ['id'] }], { on_fail: 'quarantine' });
    await splitDataset(engine, 'qok', flags.qok!);
    assert.equal(await engine.count('qok'), 2);
    assert.equal(await engine.count('qok_rejects'), 0);
    assert.deepEqual((await engine.columns('qok_rejects')).map((c) => `${c.name} ${c.type}`), ['id INTEGER', 'name VARCHAR', '_rule VARCHAR', '_reason VARCHAR']);
  });
});
