/**
 * An incremental http source end to end through the ingest and commitWatermarks activities: the
 * first run asks the API from `initial` (`${incremental.start}` in a query parameter) and keeps only
 * rows after it even when the API sends more; the second run asks from the committed watermark and
 * loads only what is new; a run whose watermark is not committed (a failed run) reads the same window.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createActivities } from '../../../activities/index.js';
import { LocalStagingStore } from '../../../src/staging/store.js';
import { TableEngine } from '../../../src/table/engine.js';
import type { IngestInput, IngestOutput } from '../../../src/run.js';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { stagedIngest } from '../../support/activity-env.js';
import { RUN } from '../../support/run-context.js';

let dir: string;
/** Each run is its own workflow execution (its own checkpoints), as under Temporal. */
const inRun = <A, R>(key: string, fn: (input: A) => Promise<R>, input: A): Promise<R> =>
  new MockActivityEnvironment({ heartbeatTimeoutMs: 20_000, workflowExecution: { workflowId: key, runId: `${key}-exec` } }, { logger: new DefaultLogger('ERROR') }).run(fn, input);
let server: Server;
let url: string;
const asked: string[] = [];
// The API ignores `since` for rows at or before 2024-01-02: it sends one row too many, as real APIs with inclusive filters do.
let rows = [
  { id: 1, updated_at: '2024-01-01T10:00:00Z' },
  { id: 2, updated_at: '2024-01-02T00:00:00Z' },
  { id: 3, updated_at: '2024-01-03T12:30:00Z' },
];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-incremental-http-'));
  process.env.FERRY_WORK_ROOT = join(dir, 'work');
  server = createServer((req, res) => {
    const since = new URL(req.url!, 'http://x').searchParams.get('since') ?? '';
    asked.push(since);
    const body = rows.filter((r) => r.updated_at >= since.slice(0, 10));
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: body }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  delete process.env.FERRY_WORK_ROOT;
  await new Promise((r) => server.close(r));
  await rm(dir, { recursive: true, force: true });
});

test('incremental http: the window starts at initial, then at the committed watermark; rows outside it are dropped', async () => {
  const staging = new LocalStagingStore(join(dir, 'staging'));
  const acts = createActivities({ staging });
  const input = (key: string): IngestInput => ({
    pipeline: 'events-sync', run: { ...RUN, key }, dataset: 'events', connections: { api: { type: 'http', base_url: url, headers: {}, timeout: '30s' } },
    source: {
      type: 'http', connection: 'api', path: '/events', records: 'data', query: { since: '${incremental.start}' },
      incremental: { cursor: 'updated_at', initial: '2024-01-02T00:00:00Z' },
    } as unknown as IngestInput['source'],
  });
  const idsOf = async (out: IngestOutput) => {
    const t = await TableEngine.open(await mkdtemp(join(dir, 't-')));
    try {
      await t.loadParquet('x', await staging.readDataset(out.ref, t.workdir));
      return (await t.rows('SELECT id FROM x ORDER BY id')).map((r) => Number(r.id));
    } finally {
      await t.close();
    }
  };

  const first = await inRun('run-1', stagedIngest(acts.ingest), input('run-1'));
  assert.equal(asked.at(-1), '2024-01-02T00:00:00Z', 'the API is asked from `initial`');
  assert.deepEqual(await idsOf(first), [3], 'row 2 sits exactly on the window start: not after it, so not loaded');
  assert.equal(first.window?.to, '2024-01-03T12:30:00.000000Z');

  // Not committed (the run failed before its sinks committed): the next run reads the same window.
  const retried = await inRun('run-2', stagedIngest(acts.ingest), input('run-2'));
  assert.deepEqual(asked, ['2024-01-02T00:00:00Z', '2024-01-02T00:00:00Z']);
  assert.deepEqual(await idsOf(retried), [3]);

  const committed = await inRun('run-2', acts.commitWatermarks, { pipeline: 'events-sync', run: { ...RUN, key: 'run-2' }, windows: { events: retried.window! } });
  assert.deepEqual(committed, { committed: { events: { to: '2024-01-03T12:30:00.000000Z' } } });
  rows = [...rows, { id: 4, updated_at: '2024-01-04T08:00:00Z' }];
  const next = await inRun('run-3', stagedIngest(acts.ingest), input('run-3'));
  assert.deepEqual(asked.slice(2), ['2024-01-03T12:30:00.000000Z'], 'the API is asked from the committed watermark');
  assert.deepEqual(await idsOf(next), [4], 'row 3 (the watermark itself) is not loaded again');
  assert.equal(next.window?.to, '2024-01-04T08:00:00.000000Z');
});
