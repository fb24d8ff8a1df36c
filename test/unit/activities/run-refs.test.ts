/**
 * The activities resolve run references in their slice, with the run in their input: a file source
 * reads the run's day, a SQL step filters on it, a file sink writes the run's path. A path that
 * leaves FERRY_FILE_ROOTS after resolution, and an unknown name, are non-retryable CONFIG failures.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { createActivities } from '../../../activities/index.js';
import { stagedIngest } from '../../support/activity-env.js';
import { LocalStagingStore } from '../../../src/staging/store.js';
import type { IngestInput, DeliverInput, TransformInput, RunContext } from '../../../src/run.js';
import { runActivity } from '../../support/activity-env.js';

let dir: string;
let acts: ReturnType<typeof createActivities>;
const RUN: RunContext = { key: 'dated-2024-01-05T00:00:00Z', time: '2024-01-05T00:00:00.000Z', date: '2024-01-05', timezone: 'UTC', trigger: 'cli' };

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-run-refs-act-'));
  process.env.FERRY_WORK_ROOT = join(dir, 'work');
  process.env.FERRY_FILE_ROOTS = join(dir, 'data');
  await mkdir(join(dir, 'data', 'in', '2024-01-05'), { recursive: true });
  await mkdir(join(dir, 'data', 'in', '2024-01-04'), { recursive: true });
  await writeFile(join(dir, 'data', 'in', '2024-01-05', 'sales.csv'), 'sale_id,day\nS1,2024-01-04\nS2,2024-01-05\nS3,2024-01-05\n');
  await writeFile(join(dir, 'data', 'in', '2024-01-04', 'sales.csv'), 'sale_id,day\nS0,2024-01-04\n');
  acts = createActivities({ staging: new LocalStagingStore(join(dir, 'staging')) });
});
after(async () => {
  delete process.env.FERRY_WORK_ROOT;
  delete process.env.FERRY_FILE_ROOTS;
  await rm(dir, { recursive: true, force: true });
});

const run = runActivity;

const ingestInput = (path: string, r: RunContext = RUN): IngestInput =>
  ({ pipeline: 'dated', run: r, dataset: 'sales', source: { type: 'file', path, on_error: 'fail' } as IngestInput['source'], connections: {} });

describe('run references in activities', () => {
  it('ingest, a sql step and a file sink each use the run date', async () => {
    const ingested = await run(stagedIngest(acts.ingest), ingestInput(join(dir, 'data', 'in', '{run_date}', 'sales.csv')));
    assert.equal(ingested.detail, join(dir, 'data', 'in', '2024-01-05', 'sales.csv'));
    assert.equal(ingested.ref.rows, 3);

    const steps = [{ type: 'sql', output: 'today', inputs: ['sales'], query: "SELECT sale_id, '${run.id}' AS run FROM sales WHERE CAST(day AS VARCHAR) = '${run.date}' ORDER BY sale_id" }];
    const transformed = await run(acts.transform, { pipeline: 'dated', run: RUN, stage: 'preprocess', steps, inputs: { sales: ingested.ref } } as unknown as TransformInput);
    assert.equal(transformed.datasets.today!.rows, 2);

    const out = join(dir, 'data', 'out', '{run_date}', '${run.date_nodash}-{run_time}.csv');
    const delivered = await run(acts.deliver, { pipeline: 'dated', run: RUN, sink: 'export', spec: { type: 'file', input: 'today', path: out },
      connections: {}, input: transformed.datasets.today!, runStartedAt: '2026-11-24T07:00:00.000Z' } as unknown as DeliverInput);
    const written = join(dir, 'data', 'out', '2024-01-05', '20240105-20240105T000000Z.csv');
    assert.deepEqual([delivered.target, delivered.rows], [written, 2]);
    assert.equal(await readFile(written, 'utf8'), 'sale_id,run\nS2,dated-2024-01-05T00:00:00Z\nS3,dated-2024-01-05T00:00:00Z\n');
  });

  it('another run date reads another file', async () => {
    const r = { ...RUN, key: 'dated-2024-01-04T00:00:00Z', time: '2024-01-04T00:00:00.000Z', date: '2024-01-04' };
    const ingested = await run(stagedIngest(acts.ingest), ingestInput(join(dir, 'data', 'in', '${run.date}', 'sales.csv'), r));
    assert.equal(ingested.ref.rows, 1);
  });

  const failure = async (p: Promise<unknown>) => {
    const err = await p.then(() => assert.fail('should fail'), (e: unknown) => e);
    assert.ok(err instanceof ApplicationFailure, String(err));
    assert.deepEqual([err.type, err.nonRetryable], ['CONFIG', true]);
    return err.message;
  };

  it('a path that leaves FERRY_FILE_ROOTS once resolved is refused, and nothing is written', async () => {
    const escape = { ...RUN, key: '../..' };
    const message = await failure(run(acts.ingest, ingestInput(join(dir, 'data', 'in', '{run_id}', 'sales.csv'), escape)));
    assert.ok(message.endsWith(`${dir}/data/in/../../sales.csv is outside the allowed file roots (FERRY_FILE_ROOTS: as set)`), message);
    const staged = await run(stagedIngest(acts.ingest), ingestInput(join(dir, 'data', 'in', '{run_date}', 'sales.csv')));
    const sink = await failure(run(acts.deliver, { pipeline: 'dated', run: escape, sink: 'export', spec: { type: 'file', input: 'sales', path: join(dir, 'data', '{run_id}', 'x.csv') },
      connections: {}, input: staged.ref, runStartedAt: RUN.time } as unknown as DeliverInput));
    assert.ok(sink.endsWith(`${dir}/data/../../x.csv is outside the allowed file roots (FERRY_FILE_ROOTS: as set)`), sink);
    assert.deepEqual((await readdir(dir)).sort(), ['data', 'staging', 'work']);
    assert.deepEqual((await readdir(join(dir, '..'))).filter((f) => f === 'x.csv' || f === 'sales.csv'), []);
  });

  it('an unknown name is a CONFIG failure naming the field and the valid names', async () => {
    const message = await failure(run(acts.ingest, ingestInput(join(dir, 'data', 'in', '${run.today}', 'sales.csv'))));
    assert.equal(message, 'stage ingest, dataset sales, field source.path: unknown run reference ${run.today}: expected one of ${run.date}, ${run.date_nodash}, ${run.year}, ${run.month}, ${run.day}, ${run.time}, ${run.id}, ${run.timezone}, ${run.trigger}');
  });
});
