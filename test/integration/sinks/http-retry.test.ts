/**
 * The http sink against a local API that records the arrival time of every request:
 * - 429 with `Retry-After: 2` (default retry policy and heartbeat, rate-limited connection): the
 *   next request comes ≥ 2 s later, the failed attempt ended at once (the worker did not sleep),
 *   and the history shows a second attempt;
 * - Retry-After as an HTTP date is honoured; a Retry-After of a day is capped at the sink's
 *   `retry.maximum_interval`;
 * - 500 without Retry-After: backoff with jitter, each wait within [base/2, base];
 * - 400: fails at once, one request, the (masked) answer in the error;
 * - values exact through `PUT` + `wrap` + batches: BIGINT beyond 2^53, a 30-digit DECIMAL, NULL vs "".
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { WorkflowFailedError } from '@temporalio/client';
import { startHarness, randomId } from '../../support/harness.js';
import { createWorker, type FerryWorker } from '../../../src/worker.js';
import { loadConnections } from '../../../src/pipeline/load.js';
import { LocalStagingStore } from '../../../src/staging/store.js';
import type { ActivityReport } from '../../../activities/boundary.js';
import type { RunReport } from '../../../src/run.js';

type Arrival = { at: number; method: string; path: string; key: string; body: string; auth: string };
type Answer = { status: number; headers?: Record<string, string>; body?: string };

let h: Awaited<ReturnType<typeof startHarness>>;
let api: Server;
let dir: string;
let worker: FerryWorker;
let running: Promise<void>;
let stopConnection: () => Promise<void>;
const arrivals: Arrival[] = [];
const reports: ActivityReport[] = [];
/** How the API answers the n-th request (1-based) to a path; default 201. */
let answer: (path: string, n: number, req: IncomingMessage) => Answer = () => ({ status: 201 });
const token = `tok-${randomId()}${randomId()}`;

before(async () => {
  api = createServer((req, res) => {
    const at = performance.now();
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      arrivals.push({ at, method: req.method ?? '', path, key: String(req.headers['idempotency-key'] ?? ''), body, auth: String(req.headers.authorization ?? '') });
      const a = answer(path, arrivals.filter((x) => x.path === path).length, req);
      res.writeHead(a.status, { 'content-type': 'application/json', ...a.headers }).end(a.body ?? '{}');
    });
  });
  await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
  dir = await mkdtemp(join(tmpdir(), 'ferry-http-retry-'));
  const connections = join(dir, 'connections.yaml');
  await writeFile(connections, `${await readFile('config/connections.yaml', 'utf8')}
sink_api:
  type: http
  base_url: ${url}
  auth: { type: bearer, token: '\${env:HTTP_RETRY_TOKEN}' }
limited_sink_api:
  type: http
  base_url: ${url}/limited
  rate_limit: { requests_per_second: 5 }
`);
  process.env.FERRY_CONNECTIONS = connections;
  process.env.FERRY_FILE_ROOTS = dir;
  process.env.HTTP_RETRY_TOKEN = token;
  await writeFile(join(dir, 'rows.ndjson'), [
    '{"id": 9007199254740993, "amount": "12345678901234567890.1234567890", "note": null}',
    '{"id": 2, "amount": "0.0000000001", "note": ""}',
    '{"id": 9223372036854775807, "amount": "-99999999999999999999.9999999999", "note": "x"}',
  ].join('\n'));
  h = await startHarness({ inProcessWorker: false });
  let connection;
  ({ worker, connection } = await createWorker({
    taskQueue: h.taskQueue,
    connections: await loadConnections(connections),
    staging: new LocalStagingStore('.ferry/test-staging'),
    report: (r) => reports.push(r),
  }));
  running = worker.run();
  stopConnection = () => connection.close();
});

after(async () => {
  worker?.shutdown();
  await running;
  await stopConnection?.();
  await h?.stop();
  await new Promise((r) => api.close(r));
  await rm(dir, { recursive: true, force: true });
  delete process.env.FERRY_CONNECTIONS;
  delete process.env.FERRY_FILE_ROOTS;
  delete process.env.HTTP_RETRY_TOKEN;
});

/** A pipeline reading rows.ndjson into one http sink with these extra lines. */
async function pipeline(sink: string): Promise<string> {
  const file = join(dir, `p-${randomId()}.yaml`);
  await writeFile(file, `name: http_retry
sources:
  rows:
    type: file
    path: ${join(dir, 'rows.ndjson')}
    columns: { id: BIGINT, amount: 'DECIMAL(38,10)', note: VARCHAR }
sinks:
  api:
    type: http
    input: rows
${sink.trim().split('\n').map((l) => `    ${l}`).join('\n')}
`);
  return file;
}

const at = (path: string) => arrivals.filter((a) => a.path === path).map((a) => a.at);

test('429 with Retry-After: 2 on a rate-limited connection, default retry and heartbeat: the next request ≥ 2 s later, the worker did not sleep', async () => {
  const name = `/r429-${randomId()}`;
  const path = `/limited${name}`;
  answer = (p, n) => (p === path && n === 1 ? { status: 429, headers: { 'retry-after': '2' }, body: '{"error":"slow down"}' } : { status: 201 });
  const { handle, report } = await h.run(await pipeline(`connection: limited_sink_api\npath: ${name}\nbody: record`));
  assert.equal(report.status, 'completed', JSON.stringify(report));
  const times = at(path);
  assert.equal(times.length, 4, 'the refused record once more, then the other two');
  const waited = times[1]! - times[0]!;
  console.log(`Retry-After 2: next request after ${waited.toFixed(0)} ms`);
  assert.ok(waited >= 2000, `waited ${waited} ms`);
  assert.ok(waited < 4000, `not much longer than asked: ${waited} ms`);
  const failed = reports.find((r) => r.workflowId === handle.workflowId && r.outcome === 'retrying');
  assert.ok(failed, 'the first attempt ended and reported a retry');
  assert.match(failed.error ?? '', /HTTP 429: \{"error":"slow down"\}/);
  assert.ok(failed.durationMs < 1500, `the attempt ended at once (${failed.durationMs} ms), no sleep in the worker`);
  const history = historyToJSON(await handle.fetchHistory());
  const attempts = (JSON.parse(history) as { events: { activityTaskStartedEventAttributes?: { attempt?: number } }[] }).events
    .flatMap((e) => (e.activityTaskStartedEventAttributes ? [e.activityTaskStartedEventAttributes.attempt ?? 1] : []));
  assert.ok(attempts.includes(2), `a new attempt in history: ${attempts.join(',')}`);
});

test('Retry-After as an HTTP date is honoured; a day is capped at retry.maximum_interval', async () => {
  const datePath = `/r429date-${randomId()}`;
  const dayPath = `/r503day-${randomId()}`;
  answer = (p, n) => {
    if (p === datePath && n === 1) return { status: 429, headers: { 'retry-after': new Date(Date.now() + 3000).toUTCString() } };
    if (p === dayPath && n === 1) return { status: 503, headers: { 'retry-after': '86400' } };
    return { status: 201 };
  };
  const [a, b] = await Promise.all([
    h.run(await pipeline(`connection: sink_api\npath: ${datePath}`)),
    h.run(await pipeline(`connection: sink_api\npath: ${dayPath}\nretry: { maximum_interval: 2s }`)),
  ]);
  assert.equal(a.report.status, 'completed');
  assert.equal(b.report.status, 'completed');
  const [d0, d1] = at(datePath);
  const [y0, y1] = at(dayPath);
  console.log(`HTTP-date Retry-After (+3 s, whole seconds): ${(d1! - d0!).toFixed(0)} ms; Retry-After 86400 capped at 2 s: ${(y1! - y0!).toFixed(0)} ms`);
  assert.ok(d1! - d0! >= 1900, `the HTTP date is at least 2 s ahead once truncated to seconds: ${d1! - d0!} ms`);
  assert.ok(y1! - y0! >= 1900 && y1! - y0! < 5000, `capped at maximum_interval 2s: ${y1! - y0!} ms`);
});

test('500 without Retry-After: exponential backoff with jitter, each wait within [base/2, base]', async () => {
  const path = `/r500-${randomId()}`;
  answer = (p, n) => (p === path && n <= 3 ? { status: 500, body: 'boom' } : { status: 201 });
  const { report } = await h.run(await pipeline(`connection: sink_api\npath: ${path}\nretry: { initial_interval: 1s, backoff: 2, maximum_interval: 10s }`));
  assert.equal(report.status, 'completed');
  const t = at(path);
  assert.equal(t.length, 4);
  const gaps = [t[1]! - t[0]!, t[2]! - t[1]!, t[3]! - t[2]!];
  console.log(`500 backoff gaps: ${gaps.map((g) => g.toFixed(0)).join(', ')} ms (bases 1000, 2000, 4000)`);
  // Dispatch and the attempt's start-up add a little to every wait; never less than half the base.
  const SLACK = 700;
  [1000, 2000, 4000].forEach((base, i) => {
    assert.ok(gaps[i]! >= base / 2 - 50 && gaps[i]! <= base + SLACK, `wait ${i + 1}: ${gaps[i]} ms within [${base / 2}, ${base}] (+ ${SLACK} ms start-up)`);
  });
});

test('400 fails at once: one request, the masked answer in the error', async () => {
  const path = `/r400-${randomId()}`;
  answer = (p) => (p === path ? { status: 400, body: `{"error":"bad record 7","echo":"Bearer ${token}"}` } : { status: 201 });
  const handle = await h.start(await pipeline(`connection: sink_api\npath: ${path}`));
  const err = await handle.result().then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof WorkflowFailedError, String(err));
  const message = `${err.message} ${err.cause?.message ?? ''}`;
  assert.match(message, /HTTP 400: \{"error":"bad record 7","echo":"Bearer \*\*\*"\}/);
  assert.ok(!message.includes(token), 'the token is masked');
  assert.equal(at(path).length, 1, 'not retried');
  assert.equal(arrivals.find((a) => a.path === path)!.auth, `Bearer ${token}`);
});

test('PUT, wrap, batches: BIGINT beyond 2^53, a 30-digit DECIMAL, NULL and "" arrive exactly', async () => {
  const path = `/exact-${randomId()}`;
  answer = () => ({ status: 201 });
  const { report } = await h.run(await pipeline(`connection: sink_api\npath: ${path}\nmethod: PUT\nbatch_size: 2\nwrap: records`));
  assert.equal(report.status, 'completed');
  const got = arrivals.filter((a) => a.path === path);
  assert.deepEqual(got.map((a) => a.method), ['PUT', 'PUT']);
  assert.deepEqual(got.map((a) => a.body), [
    '{"records":[{"id":9007199254740993,"amount":12345678901234567890.1234567890,"note":null},{"id":2,"amount":0.0000000001,"note":""}]}',
    '{"records":[{"id":9223372036854775807,"amount":-99999999999999999999.9999999999,"note":"x"}]}',
  ]);
  assert.deepEqual(got.map((a) => a.key.split('-').at(-1)), ['1', '2']);
  assert.equal((report as RunReport).sinks[0]!.rows, 3);
});
