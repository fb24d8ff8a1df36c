/**
 * Pipeline SQL sees only its own run's data in a local staging store: what other pipelines and runs
 * staged there cannot be read (nor listed) from a step, while the run's own staged files are used
 * in place.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { ApplicationFailure } from '@temporalio/common';
import { createActivities } from '../../../activities/index.js';
import { LocalStagingStore } from '../../../src/staging/store.js';
import { TableEngine } from '../../../src/table/engine.js';
import type { TransformInput, TransformOutput } from '../../../src/run.js';

let dir: string;
let root: string;
let acts: ReturnType<typeof createActivities>;
const other = () => join(root, 'payroll', 'payroll-run-1', 'ingest', 'salaries.parquet');
const mine = () => join(root, 'p', 'wf-mine', 'ingest', 'sales.parquet');

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-staging-scope-'));
  root = join(dir, 'staging');
  process.env.FERRY_WORK_ROOT = join(dir, 'work');
  acts = createActivities({ staging: new LocalStagingStore(root) });
  const t = await TableEngine.open(join(dir, 'setup'), { allowDirectories: [root] });
  for (const [file, sql] of [[other(), 'SELECT 99000 AS salary'], [mine(), 'SELECT 7 AS amount']] as const) {
    await mkdir(join(file, '..'), { recursive: true });
    await t.run(`COPY (${sql}) TO '${file}' (FORMAT parquet)`);
  }
  t.close();
});
after(async () => {
  delete process.env.FERRY_WORK_ROOT;
  await rm(dir, { recursive: true, force: true });
});

const transform = (query: string): Promise<TransformOutput> => {
  const input = { pipeline: 'p', stage: 'preprocess', steps: [{ type: 'sql', output: 'r', inputs: [], query }], inputs: {} } as unknown as TransformInput;
  return new MockActivityEnvironment({ heartbeatTimeoutMs: 20_000, workflowExecution: { workflowId: 'wf-mine', runId: 'r1' } }, { logger: new DefaultLogger('ERROR') }).run(acts.transform, input);
};

describe('a step and the staging store', () => {
  for (const [what, query] of [
    ['another pipeline\'s staged dataset', `SELECT * FROM read_parquet('${join('STAGING', 'payroll', 'payroll-run-1', 'ingest', 'salaries.parquet')}')`],
    ['a listing of the store', `SELECT count(*) AS n FROM glob('STAGING/*')`],
  ] as const) {
    it(`cannot read ${what}: CONFIG, not retried`, async () => {
      const err = await transform(query.replace('STAGING', root)).then(() => assert.fail('should fail'), (e: unknown) => e);
      assert.ok(err instanceof ApplicationFailure, String(err));
      assert.deepEqual([err.type, err.nonRetryable], ['CONFIG', true]);
      assert.match(err.message, /Permission Error: Cannot access file/);
    });
  }

  it('reads its own run\'s staged data', async () => {
    const out = await transform(`SELECT amount FROM read_parquet('${mine()}')`);
    assert.equal(out.datasets.r?.rows, 1);
    assert.equal(out.datasets.r?.uri, join(root, 'p', 'wf-mine', 'preprocess', 'r.parquet'));
  });
});
