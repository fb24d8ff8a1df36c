/**
 * No orphaned multipart uploads after a killed worker, at the default settings: a pipeline writes a
 * ~60 MB CSV to MinIO in 5 MiB parts through a throttled connection; the worker is SIGKILLed once
 * parts of the upload are in, a new worker takes over, the sink's next attempt aborts the dead
 * attempt's upload before uploading again, and the run completes. The object is whole (every row
 * read back and checked) and no multipart upload is left in the bucket.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ListMultipartUploadsCommand, ListPartsCommand } from '@aws-sdk/client-s3';
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
const ROWS = 1_000_000;
const KEY = 'big/data.csv';

before(async () => {
  h = await startHarness({ inProcessWorker: false });
  kit = await s3SinkKit();
  proxy = await startThrottleProxy({ host: '127.0.0.1', port: 9000 }, 6 * 1024 * 1024);
  await mkdir(dir, { recursive: true });
  // 1,000,000 rows of ~60 bytes: about 60 MB of CSV, twelve 5 MiB parts.
  const out = createWriteStream(join(dir, 'big.csv'));
  out.write('id,payload\n');
  for (let i = 1; i <= ROWS; i++) {
    if (!out.write(`${i},row-${String(i).padStart(8, '0')}-abcdefghijklmnopqrstuvwxyz0123456789\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
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

async function openUploads(): Promise<{ key: string; id: string }[]> {
  const res = await kit.s3.send(new ListMultipartUploadsCommand({ Bucket: kit.bucket, Prefix: KEY }));
  return (res.Uploads ?? []).map((u) => ({ key: u.Key!, id: u.UploadId! }));
}

test('a worker SIGKILLed mid-multipart-upload: the retry aborts the orphaned upload, the object is whole, no upload is left', async (t) => {
  const file = join(dir, 'pipeline.yaml');
  await writeFile(file, [
    'name: it7_s3_multipart',
    'sources:',
    `  big: { type: file, path: ${join(dir, 'big.csv')} }`,
    'sinks:',
    `  lake: { type: s3, connection: lake, input: big, bucket: ${kit.bucket}, key: ${KEY}, part_size_mb: 5 }`,
    '',
  ].join('\n'));
  process.env.FERRY_CONNECTIONS = 'config/connections.yaml';
  const first = await startWorker(`http://127.0.0.1:${proxy.port}`);
  const handle = await h.start(file);

  // Wait until the upload is under way with parts in, then kill the worker.
  let killedWith = 0;
  await h.waitFor('parts of the multipart upload', async () => {
    const [u] = await openUploads();
    if (!u) return false;
    const parts = await kit.s3.send(new ListPartsCommand({ Bucket: kit.bucket, Key: u.key, UploadId: u.id }));
    killedWith = parts.Parts?.length ?? 0;
    return killedWith >= 2;
  }, 120_000);
  first.kill('SIGKILL');
  await once(first, 'exit');
  const orphan = await openUploads();
  assert.equal(orphan.length, 1, 'the killed attempt left its upload open');
  t.diagnostic(`killed with ${killedWith} parts uploaded; ${(proxy.bytesToServer / 1048576).toFixed(1)} MiB had gone through the proxy`);

  await startWorker(process.env.S3_ENDPOINT!);
  const report = (await handle.result()) as RunReport;
  assert.equal(report.status, 'completed');
  const [sink] = report.sinks;
  assert.deepEqual([sink!.status, sink!.target, sink!.rows], ['delivered', `s3://${kit.bucket}/${KEY}`, ROWS]);
  assert.equal(sink!.detail, 'csv, 1 unfinished upload of an earlier attempt aborted');

  // Whole: every row, in order, with its exact payload.
  const [check] = await kit.query(KEY, (f) => `SELECT count(*) AS n, min(id) AS lo, max(id) AS hi,
    count(*) FILTER (WHERE payload <> 'row-' || lpad(id::VARCHAR, 8, '0') || '-abcdefghijklmnopqrstuvwxyz0123456789') AS bad
    FROM read_csv(${f}, header = true, columns = {'id': 'BIGINT', 'payload': 'VARCHAR'})`);
  assert.deepEqual(check, { n: ROWS, lo: 1, hi: ROWS, bad: 0 });
  // No orphan: neither the killed attempt's upload nor any other is left in the bucket.
  assert.deepEqual(await openUploads(), []);
  const all = await kit.s3.send(new ListMultipartUploadsCommand({ Bucket: kit.bucket }));
  assert.deepEqual(all.Uploads ?? [], []);
});
