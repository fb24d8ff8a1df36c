/**
 * `ferry worker --log-format json` as a real process through a run with a retried attempt: every
 * line it writes, on stdout and stderr, is one JSON object; each finished attempt has its run,
 * pipeline, stage, activity, dataset or sink, attempt, outcome, duration, rows and masked error;
 * the SDK's own lines are JSON too; no line carries the secret. FERRY_LOG_FORMAT=json does the
 * same; the text format stays one line per attempt.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import { randomId, testEnv } from '../support/harness.js';
import { connectClient, startRun } from '../../src/client.js';
import { loadPipeline } from '../../src/pipeline/load.js';
import { planOf } from '../../src/cli/start.js';
import type { RunReport } from '../../src/run.js';

const TOKEN = `logs-secret-${randomId()}${randomId()}`;
const dir = `.ferry/test-files/logs-${randomId()}`;
let server: Server;
let client: Client;
let calls = 0;
const workers: ChildProcess[] = [];

before(async () => {
  testEnv();
  // The first call of each run fails with a 503 whose body repeats the token; the next one answers.
  server = createServer((req, res) => {
    if (req.headers.authorization !== `Bearer ${TOKEN}`) {
      res.writeHead(401).end();
      return;
    }
    calls += 1;
    const fail = calls % 2 === 1;
    res.writeHead(fail ? 503 : 200, { 'content-type': 'application/json' });
    res.end(fail ? JSON.stringify({ error: `busy, try later (you sent ${req.headers.authorization})` }) : '[{"id":1},{"id":2}]');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  await mkdir(dir, { recursive: true });
  await writeFile(`${dir}/connections.yaml`, `local:\n  type: http\n  base_url: http://127.0.0.1:${(server.address() as AddressInfo).port}\n  auth: { type: bearer, token: '\${env:LOGS_TEST_TOKEN}' }\n`);
  await writeFile(`${dir}/p.yaml`, [
    'name: logs_demo',
    'sources:',
    '  flaky: { type: http, connection: local, path: /flaky }',
    'sinks:',
    `  out: { type: file, input: flaky, path: ${dir}/out.csv }`,
    'settings:',
    '  retry: { initial_interval: 1s }',
    '',
  ].join('\n'));
  client = await connectClient();
});

after(async () => {
  for (const w of workers) w.kill('SIGKILL');
  server?.close();
  await client?.connection.close();
  await rm(dir, { recursive: true, force: true });
});

/** A worker process on its own task queue runs one flaky run; its whole output once it has stopped. */
async function runThroughWorker(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ stdout: string; stderr: string; code: number | null; workflowId: string; runId: string }> {
  const taskQueue = `ferry-logs-${randomId()}`;
  const child = spawn(process.execPath, ['bin/ferry.js', 'worker', '--task-queue', taskQueue, ...args], {
    env: { ...process.env, NO_COLOR: '1', LOGS_TEST_TOKEN: TOKEN, FERRY_STAGING: '.ferry/test-staging', FERRY_LOG_LEVEL: 'INFO', ...env },
  });
  workers.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  for (const until = Date.now() + 60_000; !stdout.includes('ferry worker on task queue');) {
    if (Date.now() > until) throw new Error(`the worker did not start: ${stdout}${stderr}`);
    await sleep(100);
  }
  const plan = planOf(await loadPipeline(`${dir}/p.yaml`, { connectionsFile: `${dir}/connections.yaml` }));
  const handle = await startRun(client, plan, { id: `logs-${randomId()}`, taskQueue });
  const report = (await handle.result()) as RunReport;
  assert.equal(report.status, 'completed');
  child.kill('SIGTERM');
  const code = await exited;
  return { stdout, stderr, code, workflowId: handle.workflowId, runId: handle.firstExecutionRunId };
}

type Line = Record<string, unknown>;

/** The first attempt's error, its token masked. */
const ERROR_503 = () => `stage ingest, dataset flaky, GET http://127.0.0.1:${(server.address() as AddressInfo).port}/flaky, page 1: HTTP 503: {"error":"busy, try later (you sent Bearer ***)"}`;

test('--log-format json: every line is JSON; each attempt has its run, stage, activity, dataset or sink, outcome and rows; no secret', async () => {
  const { stdout, stderr, code, workflowId, runId } = await runThroughWorker(['--log-format', 'json']);
  assert.equal(code, 0, stderr);
  const all = `${stdout}${stderr}`;
  assert.ok(!all.includes(TOKEN), 'a line carries the token');
  const parse = (text: string): Line[] => text.split('\n').filter((l) => l !== '').map((l) => {
    try {
      return JSON.parse(l) as Line;
    } catch {
      return assert.fail(`not a JSON line: ${l}`);
    }
  });
  const lines = [...parse(stdout), ...parse(stderr)];
  for (const l of lines) {
    assert.match(String(l.ts), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.ok(['trace', 'debug', 'info', 'warn', 'error'].includes(String(l.level)), String(l.level));
    assert.equal(typeof l.msg, 'string');
  }
  const attempts = lines.filter((l) => l.outcome).map(({ ts: _ts, durationMs, ...rest }) => {
    assert.equal(typeof durationMs, 'number');
    return rest;
  });
  const run = { workflowId, runId, pipeline: 'logs_demo' };
  assert.deepEqual(attempts, [
    { level: 'warn', msg: 'ingest flaky: attempt 1 failed, will retry', ...run, stage: 'ingest', activity: 'ingest', dataset: 'flaky', attempt: 1, outcome: 'retrying', error: ERROR_503(), errorType: 'TRANSIENT' },
    { level: 'info', msg: 'ingest flaky: 2 rows from GET /flaky (1 page)', ...run, stage: 'ingest', activity: 'ingest', dataset: 'flaky', attempt: 2, outcome: 'completed', rows: 2 },
    { level: 'info', msg: `deliver out: 2 rows → ${dir}/out.csv (csv)`, ...run, stage: 'deliver', activity: 'deliver', dataset: 'flaky', sink: 'out', attempt: 1, outcome: 'completed', rows: 2 },
    { level: 'info', msg: `finish: .ferry/test-staging/logs_demo/${workflowId}/report.json`, ...run, stage: 'finish', activity: 'finishRun', attempt: 1, outcome: 'completed' },
  ]);
  // The worker's own lines and the SDK's (at FERRY_LOG_LEVEL=INFO) are JSON too.
  assert.ok(lines.some((l) => l.msg === 'worker stopped'));
  assert.ok(lines.some((l) => l.source === 'temporal-sdk'), 'no SDK line at INFO');
});

test('FERRY_LOG_FORMAT=json does the same; the text format is one line per attempt', async () => {
  const json = await runThroughWorker([], { FERRY_LOG_FORMAT: 'json', FERRY_LOG_LEVEL: 'WARN' });
  const stdout = json.stdout.split('\n').filter(Boolean);
  assert.ok(stdout.every((l) => l.startsWith('{"ts":')), json.stdout);
  assert.equal(stdout.filter((l) => l.includes('"outcome"')).length, 4); // ingest twice, deliver, finishRun

  const text = await runThroughWorker(['--log-format', 'text'], { FERRY_LOG_FORMAT: 'json', FERRY_LOG_LEVEL: 'WARN' });
  assert.equal(text.code, 0, text.stderr);
  const lines = text.stdout.split('\n').filter(Boolean);
  assert.equal(lines[0], `ferry worker on task queue ${lines[0]!.split(' ')[5]} at ${process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233'}, namespace ${process.env.TEMPORAL_NAMESPACE ?? 'default'} (Ctrl-C to stop)`);
  const id = text.workflowId;
  assert.match(lines[1]!, /^✖ \d\d:\d\d:\d\d /);
  assert.equal(lines[1]!.slice(11), `${id} ingest flaky: ${ERROR_503()} — will retry`);
  assert.match(lines[2]!, new RegExp(`^✔ \\d\\d:\\d\\d:\\d\\d ${id} ingest flaky \\(attempt 2\\): 2 rows from GET /flaky \\(1 page\\) [\\d.]+m?s$`));
  assert.match(lines[3]!, new RegExp(`^✔ \\d\\d:\\d\\d:\\d\\d ${id} deliver out: 2 rows → ${dir}/out\\.csv \\(csv\\) [\\d.]+m?s$`));
  assert.match(lines[4]!, new RegExp(`^✔ \\d\\d:\\d\\d:\\d\\d ${id} finish: \\.ferry/test-staging/logs_demo/${id}/report\\.json [\\d.]+m?s$`));
  assert.deepEqual(lines.slice(5), ['worker stopped']);
  assert.ok(!`${text.stdout}${text.stderr}`.includes(TOKEN));
});
