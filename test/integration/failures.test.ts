/**
 * Bad input ends a run with a clear, non-retryable error that names the cause, and the sinks are
 * untouched; bad config never reaches Temporal.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile, mkdtemp, mkdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { WorkflowFailedError, WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import { startHarness, randomId, recordHistory, warehouseRows, RETAIL, RETAIL_ROWS } from '../support/harness.js';
import type { RunReport } from '../../src/run.js';

let h: Awaited<ReturnType<typeof startHarness>>;
before(async () => {
  h = await startHarness();
});
after(async () => h?.stop());

/** Runs the pipeline, expecting it to fail with Ferry's message on top; returns the activity failure and its cause. */
async function expectFailure(): Promise<{ activity: ActivityFailure; cause: ApplicationFailure; failedAttempts: number[]; handle: WorkflowHandle }> {
  const handle = await h.start(RETAIL);
  const err = await handle.result().then(() => assert.fail('the run should fail'), (e: unknown) => e);
  assert.ok(err instanceof WorkflowFailedError);
  const run = err.cause;
  assert.ok(run instanceof ApplicationFailure, `expected the run's Ferry failure, got ${String(run)}`);
  const activity = run.cause;
  assert.ok(activity instanceof ActivityFailure, `expected an activity failure, got ${String(activity)}`);
  const cause = activity.cause;
  assert.ok(cause instanceof ApplicationFailure);
  // What the Temporal UI shows first is the Ferry message and type, not "Activity task failed".
  assert.deepEqual([run.message, run.type, run.nonRetryable], [cause.message, cause.type, true]);
  // The attempt number of every failed activity: a non-retryable error is never retried.
  const events = (await handle.fetchHistory()).events!;
  const failedAttempts = events.flatMap((e) => {
    if (!e.activityTaskFailedEventAttributes) return [];
    const started = events.find((s) => Number(s.eventId) === Number(e.activityTaskFailedEventAttributes!.startedEventId));
    return [started?.activityTaskStartedEventAttributes?.attempt ?? 0];
  });
  return { activity, cause, failedAttempts, handle };
}

async function assertSinksUntouched(): Promise<void> {
  const table = await h.sql(`SELECT to_regclass('retail.sales_enriched') AS t`);
  assert.equal(table[0]!.t, null, 'the warehouse table was not created');
  assert.equal(await h.s3Text('ferry-demo', 'curated/sales_enriched.csv'), undefined, 'no CSV was written to S3');
  assert.equal(h.api.posts, 0, 'nothing was posted to the API');
}

test('a malformed CSV row fails the run with the file, line and column, and nothing is delivered', async () => {
  const good = await readFile('examples/retail/data/sales.csv', 'utf8');
  const lines = good.split('\n');
  lines[3] = `${lines[3]},oops`; // line 4 of the file gets an eighth field
  const dir = await mkdtemp(join(tmpdir(), 'ferry-test-'));
  const bad = join(dir, 'sales.csv');
  await writeFile(bad, lines.join('\n'));
  await h.seed(bad);

  const { cause, failedAttempts, handle } = await expectFailure();
  assert.equal(cause.type, 'DATA');
  assert.equal(cause.nonRetryable, true);
  assert.equal(cause.message, 'stage ingest, dataset sales, s3://ferry-demo/raw/sales.csv:4:8: malformed CSV row: expected 7 fields, found 8');
  assert.deepEqual(failedAttempts, [1], 'the failed ingest was not retried');
  await assertSinksUntouched();
  // The report of a failed run: the stage, its error, and every sink not started.
  const report = await handle.query<RunReport>('progress');
  assert.equal(report.status, 'failed');
  assert.equal(report.error, `ingest: ${cause.message}`);
  assert.deepEqual(report.stages.map((st) => st.status), ['failed', 'pending', 'pending', 'pending', 'pending']);
  assert.deepEqual(report.sinks.map((sk) => [sk.sink, sk.status, sk.target]), [
    ['warehouse', 'not started', 'postgres retail.sales_enriched'],
    ['lake', 'not started', 's3://ferry-demo/curated/sales_enriched.csv'],
    ['api', 'not started', 'http demo_api /ingest'],
  ]);
  await recordHistory(handle, 'failed-bad-csv', [h.token, process.env.AWS_SECRET_ACCESS_KEY!]);
});

test('with on_error: quarantine the same bad row goes to sales_rejects and the rest is delivered', async () => {
  const lines = (await readFile('examples/retail/data/sales.csv', 'utf8')).split('\n');
  lines[3] = `${lines[3]},oops`;
  const dir = await mkdtemp(join(tmpdir(), 'ferry-test-'));
  await writeFile(join(dir, 'sales.csv'), lines.join('\n'));
  await h.seed(join(dir, 'sales.csv'));
  // Under the working directory, so the plan (and the recorded history) names it by a relative path.
  await mkdir('.ferry/test-pipelines', { recursive: true });
  const pipeline = `.ferry/test-pipelines/retail-quarantine-${randomId()}.yaml`;
  await writeFile(pipeline, (await readFile(RETAIL, 'utf8')).replace('    key: raw/sales.csv\n', '    key: raw/sales.csv\n    on_error: quarantine\n'));
  process.env.FERRY_CONNECTIONS = 'config/connections.yaml';
  try {
    const handle = await h.start(pipeline);
    const report = (await handle.result()) as RunReport;
    const ingest = Object.fromEntries(report.stages[0]!.datasets.map((d) => [d.dataset, d.rows]));
    assert.equal(ingest.sales, 10);
    assert.equal(ingest.sales_rejects, 1);
    // S003 was on line 4. Without its amount the quartiles tighten, so the IQR rule now also
    // sets aside S008 (240.00) beside S005 (99999.00): two abnormal rows, seven delivered.
    const preprocess = Object.fromEntries(report.stages[2]!.datasets.map((d) => [d.dataset, d.rows]));
    assert.deepEqual(preprocess, { enriched: 7, abnormal_sales: 2, sales_final: 7 });
    assert.deepEqual(await warehouseRows(h), RETAIL_ROWS.filter((r) => r[0] !== 'S003' && r[0] !== 'S008'));
    await recordHistory(handle, 'quarantine', [h.token, process.env.AWS_SECRET_ACCESS_KEY!]);
  } finally {
    delete process.env.FERRY_CONNECTIONS;
  }
});

test('an HTTP 401 fails the run with the endpoint and status, and nothing is delivered', async () => {
  await h.seed();
  const token = process.env.DEMO_API_TOKEN;
  process.env.DEMO_API_TOKEN = 'not-the-token'; // the worker resolves ${env:DEMO_API_TOKEN} per attempt
  try {
    const { cause, failedAttempts } = await expectFailure();
    // customers and rates both use the token; whichever failures were recorded, none was retried.
    assert.ok(failedAttempts.length >= 1 && failedAttempts.every((a) => a === 1), `attempts: ${failedAttempts.join(',')}`);
    assert.equal(cause.type, 'AUTH');
    assert.equal(cause.nonRetryable, true);
    assert.match(cause.message, new RegExp(`^stage ingest, dataset (customers|rates), GET ${h.api.url}/(customers|rates)(, page 1)?: HTTP 401 Unauthorized: \\{"error":"invalid or missing bearer token"\\} \\(check the credentials of the connection\\)$`));
    assert.ok(!cause.message.includes('not-the-token'));
  } finally {
    process.env.DEMO_API_TOKEN = token;
  }
  await assertSinksUntouched();
});

test('`ferry run` with a bad config prints every problem and starts no workflow', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-test-'));
  const file = join(dir, 'broken.yaml');
  const text = (await readFile(RETAIL, 'utf8')).replace('type: page_number', 'type: pages').replace('mode: upsert', 'mode: upsrt');
  await writeFile(file, text);
  const id = `never-${randomId()}`;
  const res = spawnSync(process.execPath, ['bin/ferry.js', 'run', file, '--id', id], {
    encoding: 'utf8',
    env: { ...process.env, FERRY_CONNECTIONS: 'config/connections.yaml' },
  });
  assert.equal(res.status, 1);
  assert.match(res.stderr, /2 problems in the pipeline config/);
  const lineOf = (needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;
  const pagesAt = `${lineOf('type: pages')}:${text.split('\n')[lineOf('type: pages') - 1]!.indexOf('pages') + 1}`;
  assert.ok(res.stderr.includes(`broken.yaml:${pagesAt}  sources.customers.paginate.type: expected one of: none, single_page, page_number, offset, cursor, header_cursor, header_link, next_url (got "pages")`), res.stderr);
  assert.ok(res.stderr.includes(`broken.yaml:${lineOf('mode: upsrt')}:11  sinks.warehouse.mode: expected one of: append, upsert, replace, merge (got "upsrt")`), res.stderr);
  assert.ok(!res.stderr.includes('    at '), 'no stack trace for a user error');
  await assert.rejects(h.client.workflow.getHandle(id).describe(), WorkflowNotFoundError);
});
