/**
 * The quality activity as a worker runs it: staged inputs in, outcomes, profiles and the staged
 * split out (kept + rejects = input), a heartbeat per rule, and a rule error as a failure naming it.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { ApplicationFailure } from '@temporalio/common';
import { qualityActivity } from '../../../activities/quality.js';
import { LocalStagingStore, type DatasetRef } from '../../../src/staging/store.js';
import { stageDataset } from '../../../src/staging/stage.js';
import { TableEngine } from '../../../src/table/engine.js';
import { qualitySchema } from '../../../src/quality/schema.js';
import type { QualityInput, QualityOutput } from '../../../src/run.js';
import { RUN } from './support.js';

let dir: string;
let staging: LocalStagingStore;
const inputs: Record<string, DatasetRef> = {};

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-quality-activity-'));
  process.env.FERRY_WORK_ROOT = join(dir, 'work');
  staging = new LocalStagingStore(join(dir, 'staging'));
  const t = await TableEngine.open(join(dir, 'setup'), { allowDirectories: [join(dir, 'staging')] });
  await t.run(`CREATE TABLE sales AS SELECT * FROM (VALUES ('S1', 'C1', 10.5), ('S2', 'C9', 3.0), ('S3', NULL, -1.0), ('S4', 'C2', NULL), ('S5', 'C9', -2.0)) v(sale_id, customer_id, amount)`);
  await t.run(`CREATE TABLE customers AS SELECT * FROM (VALUES ('C1'), ('C2')) v(customer_id)`);
  for (const name of ['sales', 'customers']) inputs[name] = await stageDataset(staging, t, name, { pipeline: 'p', workflowId: 'wf-q', stage: 'preprocess', workdir: join(dir, 'setup') });
  t.close();
});
after(async () => {
  delete process.env.FERRY_WORK_ROOT;
  await rm(dir, { recursive: true, force: true });
});

function run(rules: unknown[], stage: Record<string, unknown> = {}, beats: unknown[] = []): Promise<QualityOutput> {
  const env = new MockActivityEnvironment({ heartbeatTimeoutMs: 20_000, workflowExecution: { workflowId: 'wf-q', runId: 'r1' } }, { logger: new DefaultLogger('ERROR') });
  env.on('heartbeat', (d: unknown) => beats.push(d));
  const input: QualityInput = { pipeline: 'p', run: RUN, spec: qualitySchema.parse({ ...stage, rules }), inputs };
  return env.run(qualityActivity(staging), input);
}

async function rowsOf(ref: DatasetRef): Promise<Record<string, unknown>[]> {
  const t = await TableEngine.open(join(dir, `read-${ref.dataset}`), { allowDirectories: [join(dir, 'staging')] });
  try {
    await t.loadParquet(ref.dataset, await staging.readDataset(ref, join(dir, 'read')));
    return await t.rows(`SELECT * FROM "${ref.dataset}"`);
  } finally {
    t.close();
  }
}

describe('the quality activity', () => {
  it('checks the rules, profiles every input and stages the split: kept + rejects = input', async () => {
    const beats: unknown[] = [];
    const out = await run([
      { rule: 'not_null', dataset: 'sales', columns: ['customer_id', 'amount'] },
      { rule: 'range', dataset: 'sales', column: 'amount', min: 0 },
      { rule: 'referential', dataset: 'sales', columns: ['customer_id'], references: { dataset: 'customers', columns: ['customer_id'] }, severity: 'warn' },
      { rule: 'row_count', dataset: 'customers', min: 1 },
    ], { on_fail: 'quarantine', samples: 1 }, beats);
    assert.deepEqual(out.outcomes.map((o) => [o.name, o.status, o.failed ?? o.value, o.message]), [
      ['not_null:sales.customer_id,amount', 'failed', 2, '2 of 5 rows have NULL in customer_id or amount (40.00%; allowed none)'],
      ['range:sales.amount', 'failed', 2, '2 of 5 rows have amount below 0 (40.00%; allowed none)'],
      ['referential:sales.customer_id', 'failed', 2, '2 of 5 rows have customer_id not in customers.customer_id (40.00%; allowed none)'],
      ['row_count:customers.rows', 'passed', 2, '2 rows (expected at least 1)'],
    ]);
    assert.deepEqual(out.outcomes[0]!.samples, [{ sale_id: 'S3', customer_id: null, amount: '-1.0', _reason: 'NULL in customer_id' }]);
    assert.deepEqual(Object.keys(out.profiles).sort(), ['customers', 'sales']);
    assert.deepEqual([out.profiles.sales!.rows, out.profiles.sales!.columns.map((c) => c.nulls)], [5, [0, 1, 1]]);
    // The warn rule (referential) never rejects: S2 and S5 (C9) are kept unless another rule rejects them.
    const { kept, rejects } = out.split.sales!;
    assert.deepEqual([kept.dataset, kept.stage, kept.rows, rejects.dataset, rejects.stage, rejects.rows], ['sales', 'quality', 2, 'sales_rejects', 'quality', 3]);
    assert.deepEqual((await rowsOf(kept)).map((r) => r.sale_id), ['S1', 'S2']);
    assert.deepEqual((await rowsOf(rejects)).map((r) => [r.sale_id, r._rule, r._reason]), [
      ['S3', 'not_null:sales.customer_id,amount; range:sales.amount', "NULL in customer_id; amount '-1.0' is below 0"],
      ['S4', 'not_null:sales.customer_id,amount', 'NULL in amount'],
      ['S5', 'range:sales.amount', "amount '-2.0' is below 0"],
    ]);
    assert.equal(kept.rows + rejects.rows, out.profiles.sales!.rows);
    const notes = beats.map((b) => (b as { note?: string }).note).filter((n) => n?.startsWith('rule'));
    assert.deepEqual(notes, ['rule 1/4 not_null:sales.customer_id,amount', 'rule 2/4 range:sales.amount', 'rule 3/4 referential:sales.customer_id', 'rule 4/4 row_count:customers.rows']);
  });

  it('no split without a quarantine or ask rule; an ask rule splits even when it passes (rejects empty)', async () => {
    const plain = await run([{ rule: 'not_null', dataset: 'sales', columns: ['amount'] }]);
    assert.deepEqual([plain.outcomes[0]!.status, plain.split], ['failed', {}]);
    const asked = await run([{ rule: 'not_null', dataset: 'sales', columns: ['sale_id'], on_fail: 'ask' }]);
    assert.deepEqual([asked.split.sales!.kept.rows, asked.split.sales!.rejects.rows], [5, 0]);
    assert.deepEqual(asked.split.sales!.rejects.columns.map((c) => c.name), ['sale_id', 'customer_id', 'amount', '_rule', '_reason']);
  });

  it('a bad rule fails the activity as CONFIG, naming the rule and field', async () => {
    const err = await run([{ rule: 'pattern', dataset: 'sales', name: 'ids', column: 'sale_id', regex: '(' }]).then(() => assert.fail('should fail'), (e: unknown) => e);
    assert.ok(err instanceof ApplicationFailure, String(err));
    assert.deepEqual([err.type, err.nonRetryable], ['CONFIG', true]);
    assert.match(err.message, /field regex: quality rule ids: invalid regular expression "\("/);
  });
});
