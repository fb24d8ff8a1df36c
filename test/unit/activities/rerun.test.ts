/**
 * The deliver activity keys its checkpoint by execution: another attempt of an execution, and a
 * `ferry retry` that continues it (`continues`), resume after the batches it had acknowledged; a new
 * execution of the same logical run (another Temporal run id) sends every batch again, with the
 * same Idempotency-Keys. Against a real node:http server, with a local staging store.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createActivities } from '../../../activities/index.js';
import { stagedIngest } from '../../support/activity-env.js';
import { checkpointName } from '../../../activities/slice.js';
import { LocalStagingStore } from '../../../src/staging/store.js';
import type { DeliverInput, IngestInput, DatasetRef, RunContext } from '../../../src/run.js';

let dir: string;
let server: Server;
let url: string;
const keys: string[] = [];
let acts: ReturnType<typeof createActivities>;
let staged: DatasetRef;
const WF = 'orders-2024-01-05T00:00:00Z';
const RUN: RunContext = { key: WF, time: '2024-01-05T00:00:00.000Z', date: '2024-01-05', timezone: 'UTC', trigger: 'cli' };

const run = <A, R>(runId: string, fn: (input: A) => Promise<R>, input: A): Promise<R> =>
  new MockActivityEnvironment({ heartbeatTimeoutMs: 20_000, workflowExecution: { workflowId: WF, runId } }, { logger: new DefaultLogger('ERROR') }).run(fn, input);

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-rerun-act-'));
  process.env.FERRY_WORK_ROOT = join(dir, 'work');
  process.env.FERRY_FILE_ROOTS = dir;
  await writeFile(join(dir, 'orders.csv'), 'id\n1\n2\n3\n');
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      keys.push(String(req.headers['idempotency-key']));
      res.writeHead(201).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  acts = createActivities({ staging: new LocalStagingStore(join(dir, 'staging')) });
  const ingest: IngestInput = { pipeline: 'orders', run: RUN, dataset: 'orders', source: { type: 'file', path: join(dir, 'orders.csv'), on_error: 'fail' } as IngestInput['source'], connections: {} };
  staged = (await run('exec-1', stagedIngest(acts.ingest), ingest)).ref;
});
after(async () => {
  delete process.env.FERRY_WORK_ROOT;
  delete process.env.FERRY_FILE_ROOTS;
  await new Promise((r) => server.close(r));
  await rm(dir, { recursive: true, force: true });
});

const deliver = (runId: string, continues?: string) => run(runId, acts.deliver, {
  pipeline: 'orders', run: RUN, sink: 'api', spec: { type: 'http', connection: 'api', input: 'orders', path: '/in', method: 'POST', batch_size: 2 },
  connections: { api: { type: 'http', base_url: url } }, input: staged, runStartedAt: RUN.time, ...(continues ? { continues } : {}),
} as unknown as DeliverInput);

describe('http sink checkpoints per execution', () => {
  it('an execution sends its batches; its next attempt and a retry that continues it send none; a re-run sends all again, same keys', async () => {
    assert.equal((await deliver('exec-1')).detail, '2 batches');
    assert.deepEqual(keys.splice(0), [`${WF}-api-1`, `${WF}-api-2`]);

    assert.equal((await deliver('exec-1')).detail, '2 batches, resumed after batch 2');
    assert.equal((await deliver('exec-2', 'exec-1')).detail, '2 batches, resumed after batch 2');
    assert.deepEqual(keys.splice(0), []);

    assert.equal((await deliver('exec-3')).detail, '2 batches');
    assert.deepEqual(keys.splice(0), [`${WF}-api-1`, `${WF}-api-2`]);
  });

  it('checkpoint folder names: one per execution, the old name when it is unknown', () => {
    assert.equal(checkpointName('api', '0f1e2d3c-aaaa-bbbb-cccc-000000000001'), 'api@0f1e2d3c-aaaa-bbbb-cccc-000000000001');
    assert.equal(checkpointName('api', '../x'), 'api@___x');
    assert.equal(checkpointName('api', ''), 'api');
  });
});
