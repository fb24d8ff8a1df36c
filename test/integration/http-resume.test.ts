/**
 * Resume from what is durably saved, at the default settings a user gets (heartbeat_timeout 20s:
 * the last heartbeat the server holds can be seconds old; with the SDK's own throttle of 0.8 × the
 * timeout it was 48 s at the former 60 s): SIGKILL the worker in the middle of the http source's
 * pages, and again in the middle of the http sink's batches. Each new attempt continues after the last saved page / acknowledged batch:
 * at most one page is fetched twice and at most one batch is sent twice, and the data is exact.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFerryWorker } from '../support/ferry-worker.js';
import { startHarness } from '../support/harness.js';
import type { RunReport } from '../../src/run.js';

const PAGES = 40;
const BATCH = 2;
let h: Awaited<ReturnType<typeof startHarness>>;
let api: Server;
let dir: string;
const workers: ChildProcess[] = [];
/** Page numbers in the order they were requested, and Idempotency-Keys in the order batches arrived. */
const pagesRequested: number[] = [];
const batchesReceived: { key: string; ids: string[] }[] = [];

before(async () => {
  api = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      if (req.method === 'GET' && url.pathname === '/items') {
        const page = Number(url.searchParams.get('page'));
        pagesRequested.push(page);
        // The id is beyond 2^53 on purpose: the resumed dataset must still be exact.
        const body = `{"items": [{"id": ${9007199254740993n + BigInt(page)}, "page": ${page}}], "total_pages": ${PAGES}}`;
        return void setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end(body), 200);
      }
      if (req.method === 'POST' && url.pathname === '/ingest') {
        const ids = [...text.matchAll(/"id":(\d+)/g)].map((m) => m[1]!);
        return void setTimeout(() => {
          batchesReceived.push({ key: String(req.headers['idempotency-key']), ids });
          res.writeHead(201).end('{}');
        }, 200);
      }
      res.writeHead(404).end();
    });
  });
  await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
  h = await startHarness({ inProcessWorker: false });
  dir = await mkdtemp(join(tmpdir(), 'ferry-http-resume-'));
});

after(async () => {
  for (const w of workers) w.kill('SIGKILL');
  await h?.stop();
  await new Promise((r) => api.close(r));
  await rm(dir, { recursive: true, force: true });
  delete process.env.FERRY_CONNECTIONS;
});

async function kill(worker: ChildProcess): Promise<void> {
  worker.kill('SIGKILL');
  await once(worker, 'exit');
}

test('SIGKILL mid-pages and mid-batches at default settings: at most one page and one batch repeated, exact rows', { timeout: 400_000 }, async () => {
  const connections = join(dir, 'connections.yaml');
  await writeFile(connections, `${await readFile('config/connections.yaml', 'utf8')}
items_api:
  type: http
  base_url: http://127.0.0.1:${(api.address() as AddressInfo).port}
`);
  process.env.FERRY_CONNECTIONS = connections;
  const pipeline = join(dir, 'resume.yaml');
  await writeFile(pipeline, `name: http_resume
sources:
  items:
    type: http
    connection: items_api
    path: /items
    records: items
    paginate: { type: page_number, size_param: per_page, size: 1, total_pages_path: total_pages }
sinks:
  api:
    type: http
    connection: items_api
    input: items
    path: /ingest
    batch_size: ${BATCH}
`);

  const first = await startFerryWorker(h, workers);
  const handle = await h.start(pipeline);
  await h.waitFor('page 12', () => pagesRequested.length >= 12, 120_000);
  await kill(first);
  const pagesBeforeKill = pagesRequested.length;

  const second = await startFerryWorker(h, workers);
  await h.waitFor('batch 6', () => batchesReceived.length >= 6, 240_000);
  await kill(second);
  const batchesBeforeKill = batchesReceived.length;

  await startFerryWorker(h, workers);
  const report = (await handle.result()) as RunReport;
  assert.equal(report.status, 'completed');

  // Pages: every page fetched, at most one of them twice (the one in flight when the worker died).
  const counts = new Map<number, number>();
  for (const p of pagesRequested) counts.set(p, (counts.get(p) ?? 0) + 1);
  assert.deepEqual([...counts.keys()].sort((a, b) => a - b), Array.from({ length: PAGES }, (_v, i) => i + 1));
  const repeatedPages = [...counts].filter(([, n]) => n > 1);
  assert.ok(repeatedPages.length <= 1 && repeatedPages.every(([, n]) => n === 2), `pages fetched twice: ${JSON.stringify(repeatedPages)} (killed after ${pagesBeforeKill} requests)`);
  assert.ok(pagesRequested.indexOf(1) === pagesRequested.lastIndexOf(1), 'the new attempt did not start over from page 1');

  // Batches: same keys and boundaries on every attempt, at most one resent.
  const keys = batchesReceived.map((b) => b.key);
  const expectedKeys = Array.from({ length: PAGES / BATCH }, (_v, i) => `${handle.workflowId}-api-${i + 1}`);
  assert.deepEqual([...new Set(keys)], expectedKeys);
  assert.ok(keys.length - expectedKeys.length <= 1, `batches sent: ${keys.length} for ${expectedKeys.length} (killed after ${batchesBeforeKill})`);
  for (const b of batchesReceived) {
    const n = Number(b.key.split('-').at(-1));
    assert.deepEqual(b.ids, [1, 2].map((k) => String(9007199254740993n + BigInt((n - 1) * BATCH + k))), `batch ${n} holds the same rows on every attempt`);
  }
});
