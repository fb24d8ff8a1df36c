/**
 * `mode: upsert` when the worker dies AFTER its PUT landed, at the default settings: the proxy
 * between the worker and MinIO swallows the answer to the PUT (the merged object is written, the
 * worker never learns it), the worker is SIGKILLed, a new worker runs the next attempt, which
 * merges the same rows into the already-merged object: the run completes and the object is byte for
 * byte what the first attempt wrote.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { startHarness, randomId } from '../../support/harness.js';
import { startWorkerProcess } from '../../support/ferry-worker.js';
import { startThrottleProxy, type ThrottleProxy } from '../../support/throttle-proxy.js';
import { s3SinkKit } from '../../support/s3-sink.js';
import type { RunReport } from '../../../src/run.js';

let h: Awaited<ReturnType<typeof startHarness>>;
let kit: Awaited<ReturnType<typeof s3SinkKit>>;
let proxy: ThrottleProxy;
const workers: ChildProcess[] = [];
const dir = join('.ferry', `it7-s3sink-${randomId()}`);
const KEY = 'dim/customers.csv';

before(async () => {
  h = await startHarness({ inProcessWorker: false });
  kit = await s3SinkKit();
  proxy = await startThrottleProxy({ host: '127.0.0.1', port: 9000 }, 1024 * 1024 * 1024);
  await mkdir(dir, { recursive: true });
});
after(async () => {
  for (const w of workers) w.kill('SIGKILL');
  await proxy?.close();
  await kit?.close();
  await h?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** A worker process whose S3 traffic goes to `endpoint` (the throttling proxy, or MinIO itself). */
const startWorker = (endpoint: string): Promise<ChildProcess> => startWorkerProcess(h, workers, { S3_ENDPOINT: endpoint });

const etag = async () => (await kit.s3.send(new HeadObjectCommand({ Bucket: kit.bucket, Key: KEY }))).ETag;

test('upsert: a worker killed after its PUT landed; the retry merges the same rows again and changes nothing', async () => {
  await kit.write(await kit.table(`SELECT * FROM (VALUES (1, 'alice', TIMESTAMP '2024-05-01 10:00:00'), (2, 'bob-old', TIMESTAMP '2024-05-01 10:00:00')) t(id, name, updated_at)`),
    { key: KEY, mode: 'upsert', keys: ['id'], modified_column: 'updated_at' });
  const seeded = await etag();
  await writeFile(join(dir, 'incoming.csv'), 'id,name,updated_at\n2,bob,2024-05-02 09:00:00\n5,erin,2024-05-02 09:00:00\n');
  const file = join(dir, 'pipeline.yaml');
  await writeFile(file, [
    'name: it7_s3_upsert_kill',
    'sources:',
    `  incoming: { type: file, path: ${join(dir, 'incoming.csv')} }`,
    'sinks:',
    `  lake: { type: s3, connection: lake, input: incoming, bucket: ${kit.bucket}, key: ${KEY}, mode: upsert, keys: [id], modified_column: updated_at }`,
    '',
  ].join('\n'));
  process.env.FERRY_CONNECTIONS = 'config/connections.yaml';

  proxy.swallowPutReplies = true;
  const first = await startWorker(`http://127.0.0.1:${proxy.port}`);
  const handle = await h.start(file);
  await h.waitFor('the merged object to land', async () => (await etag()) !== seeded, 120_000);
  const written = await kit.bytes(KEY);
  first.kill('SIGKILL');
  await once(first, 'exit');
  proxy.swallowPutReplies = false;
  assert.equal(written.toString(), 'id,name,updated_at\n1,alice,2024-05-01 10:00:00\n2,bob,2024-05-02 09:00:00\n5,erin,2024-05-02 09:00:00\n');

  await startWorker(process.env.S3_ENDPOINT!);
  const report = (await handle.result()) as RunReport;
  assert.equal(report.status, 'completed');
  const [sink] = report.sinks;
  // The retry found both incoming keys already merged: updated to the same values, nothing inserted.
  assert.deepEqual([sink!.status, sink!.rows, sink!.detail], ['delivered', 3, 'csv, upsert: 2 updated, 0 inserted, 1 kept']);
  assert.deepEqual(await kit.bytes(KEY), written);

  const history = await handle.fetchHistory();
  const attempts = history.events!.flatMap((e) => (e.activityTaskStartedEventAttributes ? [e.activityTaskStartedEventAttributes.attempt ?? 1] : []));
  assert.ok(attempts.some((a) => a >= 2), `the deliver activity ran again: attempts ${attempts.join(',')}`);
});
