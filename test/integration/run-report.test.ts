/**
 * Every run ends with report.json beside its staged data, failed runs included, on a real worker:
 * the audit record names the trigger, the pipeline file's sha256, the plain params and the run's
 * ids; no secret is in it (the source's bearer token comes from ${env:DEMO_API_TOKEN}); `ferry run
 * --wait` prints where it is, and `ferry status --json` prints it.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHarness, randomId } from '../support/harness.js';
import { ferry } from '../support/ferry-cli.js';
import type { RunReport } from '../../src/run.js';

let h: Awaited<ReturnType<typeof startHarness>>;
let dir: string;
const pipeline = `audit-${randomId()}`;
const STAGING = '.ferry/test-staging';

before(async () => {
  h = await startHarness();
  dir = await mkdtemp(join(tmpdir(), 'ferry-run-report-'));
  process.env.FERRY_FILE_ROOTS = dir;
  await copyFile('config/connections.yaml', join(dir, 'connections.yaml'));
  process.env.FERRY_CONNECTIONS = join(dir, 'connections.yaml');
  process.env.FERRY_STAGING = STAGING; // the CLI reads staging as the in-process worker writes it
  await writeFile(join(dir, 'good.yaml'), `name: ${pipeline}
params: { region: eu }
sources:
  customers: { type: http, connection: demo_api, path: /customers, records: data, paginate: { type: page_number, size_param: per_page, size: 4, total_pages_path: total_pages } }
sinks:
  out: { type: file, input: customers, path: '${dir}/out/customers-\${param:region}.csv' }
`);
  await writeFile(join(dir, 'bad.yaml'), `name: ${pipeline}
sources:
  customers: { type: http, connection: demo_api, path: /no-such-path, records: data, retry: { maximum_attempts: 1 } }
sinks:
  out: { type: file, input: customers, path: '${dir}/out/never.csv' }
`);
});
after(async () => {
  await h?.stop();
  await rm(dir, { recursive: true, force: true });
  await rm(join(STAGING, pipeline), { recursive: true, force: true });
  delete process.env.FERRY_FILE_ROOTS;
  delete process.env.FERRY_CONNECTIONS;
});

const sha = async (file: string) => createHash('sha256').update(await readFile(file)).digest('hex');

test('a completed run: report.json with the audit record, rows per stage, and no secret', async () => {
  const id = `${pipeline}-ok`;
  const res = await ferry(['run', join(dir, 'good.yaml'), '--id', id, '--wait', '--task-queue', h.taskQueue]);
  assert.equal(res.code, 0, res.stdout + res.stderr);
  const uri = `${STAGING}/${pipeline}/${id}/report.json`;
  assert.ok(res.stdout.includes(`\n  report: ${uri}\n`), res.stdout);
  const text = await readFile(uri, 'utf8');
  assert.ok(h.token.length > 10 && !text.includes(h.token), 'the bearer token is not in report.json');
  const file = JSON.parse(text);
  const result = (await h.client.workflow.getHandle(id).result()) as RunReport;
  assert.deepEqual(file.audit, { trigger: 'cli', file: join(dir, 'good.yaml'), pipelineSha256: await sha(join(dir, 'good.yaml')), params: { region: 'eu' }, workflowId: id, runId: result.audit!.runId });
  assert.match(file.audit.runId, /^[0-9a-f-]{36}$/);
  assert.equal(file.status, 'completed');
  assert.deepEqual(file.flow.map((f: { stage: string; in?: number; out?: number }) => [f.stage, f.in, f.out]), [
    ['ingest', 6, 6], ['standardize', undefined, undefined], ['preprocess', undefined, undefined], ['quality', undefined, undefined], ['deliver', 6, 6],
  ]);
  assert.deepEqual(file.sinks, [{ sink: 'out', type: 'file', status: 'delivered', target: join(dir, 'out', 'customers-eu.csv'), rows: 6, detail: 'csv' }]);
  assert.deepEqual(file.record, { reportUri: uri, history: [] });
  assert.equal(result.record?.reportUri, uri);

  const status = await ferry(['status', id, '--json']);
  assert.equal(status.code, 0, status.stderr);
  assert.deepEqual(JSON.parse(status.stdout).audit, file.audit);
});

test('a failed run has its report.json too, with the error', async () => {
  const id = `${pipeline}-failed`;
  const res = await ferry(['run', join(dir, 'bad.yaml'), '--id', id, '--wait', '--task-queue', h.taskQueue]);
  assert.equal(res.code, 1, res.stdout + res.stderr);
  const text = await readFile(`${STAGING}/${pipeline}/${id}/report.json`, 'utf8');
  assert.ok(!text.includes(h.token));
  const file = JSON.parse(text);
  assert.equal(file.status, 'failed');
  assert.match(file.error, /^ingest: .*404/);
  assert.equal(file.audit.pipelineSha256, await sha(join(dir, 'bad.yaml')));
  assert.deepEqual(file.sinks.map((s: { status: string }) => s.status), ['not started']);
  // Where the report is, for the run that failed as for one that completed: the run's own view and ferry status.
  const uri = `${STAGING}/${pipeline}/${id}/report.json`;
  assert.deepEqual(file.record, { reportUri: uri, history: [] });
  assert.ok(res.stdout.includes(`\n  report: ${uri}\n`), res.stdout);
  const status = await ferry(['status', id]);
  assert.ok(status.stdout.includes(`\n  report: ${uri}\n`), status.stdout);
  const json = await ferry(['status', id, '--json']);
  assert.deepEqual(JSON.parse(json.stdout).record, file.record);
});

test('a failed run\'s kept report has its record: ferry run --wait and status say where report.json is, and the catalog versions', async () => {
  const id = `${pipeline}-failed-record`;
  const res = await ferry(['run', join(dir, 'bad.yaml'), '--id', id, '--wait', '--task-queue', h.taskQueue]);
  assert.equal(res.code, 1, res.stdout + res.stderr);
  const uri = `${STAGING}/${pipeline}/${id}/report.json`;
  assert.ok(res.stdout.includes(`\n  report: ${uri}\n`), res.stdout);
  const memo = (await h.client.workflow.getHandle(id).describe()).memo as { report?: RunReport } | undefined;
  assert.deepEqual(memo?.report?.record, { reportUri: uri, versions: {} });
  const status = await ferry(['status', id]);
  assert.ok(status.stdout.includes(`\n  report: ${uri}\n`), status.stdout);
});
