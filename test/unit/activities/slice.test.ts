/**
 * Activities re-validate the plan slice they receive: a client that starts a workflow without
 * `ferry validate` gets a non-retryable CONFIG failure, and the adapter never runs.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { createActivities } from '../../../activities/index.js';
import { stagedIngest } from '../../support/activity-env.js';
import { LocalStagingStore } from '../../../src/staging/store.js';
import type { IngestInput, DeliverInput, TransformInput } from '../../../src/run.js';
import { RUN } from '../../support/run-context.js';
import { runActivity } from '../../support/activity-env.js';

let dir: string;
let acts: ReturnType<typeof createActivities>;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-slice-test-'));
  process.env.FERRY_WORK_ROOT = join(dir, 'work');
  process.env.FERRY_FILE_ROOTS = dir;
  await writeFile(join(dir, 'sales.csv'), 'sale_id,amount\nS1,1.5\nS2,2.5\n');
  acts = createActivities({ staging: new LocalStagingStore(join(dir, 'staging')) });
});
after(async () => {
  delete process.env.FERRY_WORK_ROOT;
  delete process.env.FERRY_FILE_ROOTS;
  await rm(dir, { recursive: true, force: true });
});

const run = runActivity;

const pg = { type: 'postgres', host: '127.0.0.1', port: 5432, database: 'x', user: 'u', ssl: false };

describe('ingest', () => {
  const good = (): IngestInput => ({ pipeline: 'p', run: RUN, dataset: 'sales', source: { type: 'file', path: join(dir, 'sales.csv'), on_error: 'fail' } as IngestInput['source'], connections: {}, stallTimeout: '5m' });

  it('a valid slice runs', async () => {
    const out = await run(stagedIngest(acts.ingest), good());
    assert.equal(out.ref.rows, 2);
    assert.equal(out.detail, join(dir, 'sales.csv'));
  });

  it('an input scheduled before slices existed ({ plan, dataset }) still runs, from its plan', async () => {
    const legacy = { plan: { pipeline: 'p', file: 'p.yaml', params: {}, connections: {}, spec: { sources: { sales: good().source, other: { type: 'file', path: 'x.csv' } }, sinks: {}, standardize: [], preprocess: [] } }, dataset: 'sales' };
    const out = await run(stagedIngest(acts.ingest), legacy as unknown as IngestInput);
    assert.equal(out.ref.rows, 2);
  });

  const BAD: [string, (i: IngestInput) => unknown, RegExp][] = [
    ['an unknown source type', (i) => ({ ...i, source: { type: 'shell', command: 'cat /etc/passwd' } }), /source\.type: /],
    ['a field the schema does not know', (i) => ({ ...i, source: { ...i.source, query: 'COPY x TO y' } }), /source: Unrecognized key/i],
    ['a missing required field', (i) => ({ ...i, source: { type: 'file' } }), /source\.path: /],
    ['a connection the spec names but the slice lacks', (i) => ({ ...i, source: { type: 'postgres', connection: 'warehouse', query: 'SELECT 1' } }), /connection 'warehouse' is not in the slice/],
    ['an invalid connection', (i) => ({ ...i, source: { type: 'postgres', connection: 'w', query: 'SELECT 1' }, connections: { w: { ...pg, database: undefined } } }), /connections\.w\.database: /],
    ['a malformed stall timeout', (i) => ({ ...i, stallTimeout: 'soon' }), /stallTimeout: expected a duration/],
    ['a pipeline name that is a path', (i) => ({ ...i, pipeline: '../../escape' }), /pipeline: expected lower-case letters, digits, - and _ \(got "\.\.\/\.\.\/escape"\)/],
    ['an ${env:…} reference in a source field (it would be sent literally)', (i) => ({ ...i, source: { type: 'http', connection: 'api', path: '/x', query: { key: '${env:API_KEY}' } }, connections: { api: { type: 'http', base_url: 'http://127.0.0.1:9' } } }), /source: \$\{env:API_KEY\} is resolved only in connections\.yaml/],
  ];
  for (const [what, mutate, message] of BAD) {
    it(`${what} is a non-retryable CONFIG failure`, async () => {
      const err = await run(stagedIngest(acts.ingest), mutate(good()) as IngestInput).then(() => assert.fail('should fail'), (e: unknown) => e);
      assert.ok(err instanceof ApplicationFailure, String(err));
      assert.equal(err.type, 'CONFIG');
      assert.equal(err.nonRetryable, true);
      assert.match(err.message, /^stage ingest, dataset sales(, connection \w+)?: invalid activity input/);
      assert.match(err.message, message);
    });
  }

  it('a dataset name that is a path is refused, and nothing is staged outside the store', async () => {
    const err = await run(stagedIngest(acts.ingest), { ...good(), dataset: '../../../escape' }).then(() => assert.fail('should fail'), (e: unknown) => e);
    assert.ok(err instanceof ApplicationFailure, String(err));
    assert.deepEqual([err.type, err.nonRetryable], ['CONFIG', true]);
    assert.match(err.message, /invalid activity input .*dataset: expected a name of letters, digits and _ .*\(got "\.\.\/\.\.\/\.\.\/escape"\)/);
    assert.deepEqual((await readdir(dir)).filter((f) => f.startsWith('escape')), []);
  });
});

describe('deliver and transform', () => {
  it('a sink spec of another shape is refused before anything is written', async () => {
    const input = { pipeline: 'p', sink: 'out', spec: { type: 'file', input: 'sales', path: join(dir, 'out.csv'), mode: 'append' }, connections: {},
      input: { dataset: 'sales', stage: 'ingest', uri: join(dir, 'none.parquet'), rows: 0, bytes: 0, columns: [], sha256: '' }, runStartedAt: '2024-01-01T00:00:00Z' } as unknown as DeliverInput;
    const err = await run(acts.deliver, input).then(() => assert.fail('should fail'), (e: unknown) => e);
    assert.ok(err instanceof ApplicationFailure);
    assert.deepEqual([err.type, err.nonRetryable], ['CONFIG', true]);
    assert.match(err.message, /invalid activity input .*sink: Unrecognized key/i);
  });

  it('a step output, a sink or a stage that is a path is refused', async () => {
    const sql = { pipeline: 'p', stage: 'preprocess', steps: [{ type: 'sql', output: '../../escape', inputs: [], query: 'SELECT 1 AS x' }], inputs: {} } as unknown as TransformInput;
    const stage = { pipeline: 'p', stage: '../x', steps: [], inputs: {} } as unknown as TransformInput;
    const sink = { pipeline: 'p', sink: '../out', spec: { type: 'file', input: 'sales', path: join(dir, 'out.csv') }, connections: {},
      input: { dataset: 'sales', stage: 'ingest', uri: join(dir, 'none.parquet'), rows: 0, bytes: 0, columns: [], sha256: '' }, runStartedAt: '2024-01-01T00:00:00Z' } as unknown as DeliverInput;
    for (const [fn, input, message] of [
      [acts.transform, sql, /steps\.0\.output: expected a name of letters/],
      [acts.transform, stage, /stage: .*\(got "\.\.\/x"\)/],
      [acts.deliver, sink, /dataset: expected a name of letters, digits and _ .*\(got "\.\.\/out"\)/],
    ] as const) {
      const err = await run(fn as (i: unknown) => Promise<unknown>, input).then(() => assert.fail('should fail'), (e: unknown) => e);
      assert.ok(err instanceof ApplicationFailure, String(err));
      assert.deepEqual([err.type, err.nonRetryable], ['CONFIG', true]);
      assert.match(err.message, message);
    }
    assert.deepEqual((await readdir(dir)).filter((f) => f.startsWith('escape')), []);
  });

  it('an invalid step is refused', async () => {
    const input = { pipeline: 'p', stage: 'standardize', steps: [{ type: 'rename', input: 'sales' }, { type: 'exec', cmd: 'rm -rf /' }], inputs: {} } as unknown as TransformInput;
    const err = await run(acts.transform, input).then(() => assert.fail('should fail'), (e: unknown) => e);
    assert.ok(err instanceof ApplicationFailure);
    assert.deepEqual([err.type, err.nonRetryable], ['CONFIG', true]);
    assert.match(err.message, /^stage standardize: invalid activity input \(was the pipeline validated\?\): steps\.0\.columns: .*; steps\.1\.type: /);
  });
});
