/**
 * Every run knows its logical run: `ferry run --date` gives it a date and the id a schedule would
 * give the run of that time; the run's search attributes say pipeline, run date and trigger; a
 * failed run keeps its report; a namespace without Ferry's search attributes gets a clear error
 * saying how to register them.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Client } from '@temporalio/client';
import Long from 'long';
import { startHarness, randomId, RETAIL } from '../support/harness.js';
import { loadPipeline } from '../../src/pipeline/load.js';
import { planOf } from '../../src/cli/start.js';
import { startRun } from '../../src/client.js';
import { ConfigError } from '../../src/errors.js';
import type { RunReport } from '../../src/run.js';
import { ferry } from '../support/ferry-cli.js';

let h: Awaited<ReturnType<typeof startHarness>>;
before(async () => {
  h = await startHarness();
  await h.seed();
});
after(async () => h?.stop());


const attributes = async (id: string) => {
  const sa = (await h.client.workflow.getHandle(id).describe()).searchAttributes;
  return [sa.FerryPipeline, sa.FerryRunDate, sa.FerryTrigger];
};

test('`ferry run --date 2024-01-05` runs as retail-2024-01-05T00:00:00Z: run date, trigger cli, search attributes', async () => {
  const id = 'retail-2024-01-05T00:00:00Z';
  // The id is the logical run: clear an earlier test run's (a completed id cannot be started twice).
  await h.client.workflow.getHandle(id).terminate('test reset').catch(() => undefined);
  const res = await ferry(['run', RETAIL, '--date', '2024-01-05', '--wait', '--task-queue', h.taskQueue]);
  assert.equal(res.code, 0, res.stderr);
  assert.ok(res.stdout.startsWith(`started retail as ${id}\n`), res.stdout);
  const report = (await h.client.workflow.getHandle(id).result()) as RunReport;
  assert.deepEqual(report.run, { key: id, time: '2024-01-05T00:00:00.000Z', date: '2024-01-05', timezone: 'UTC', trigger: 'cli' });
  assert.deepEqual(await attributes(id), [['retail'], ['2024-01-05'], ['cli']]);
  const desc = await h.client.workflow.getHandle(id).describe();
  assert.equal(await desc.staticSummary(), 'retail: Enriched sales with USD amounts, from three kinds of source to three kinds of sink');
  assert.match((await desc.staticDetails()) ?? '', /^\*\*retail\*\* \(config\/pipelines\/retail\.yaml\)\n/);
});

test('`ferry run --date` with a bad date is a usage error naming the expected forms', async () => {
  const res = await ferry(['run', RETAIL, '--date', '2024-02-30']);
  assert.equal(res.code, 2);
  assert.equal(res.stderr, 'error: --date 2024-02-30: expected a day (2024-01-05) or an ISO time with a zone (2024-01-05T06:00:00Z)\n');
});

test('a run started by another program is trigger client, dated when it started; a failed run keeps its report in its memo', async () => {
  const plan = planOf(await loadPipeline(RETAIL, { params: {} }));
  Object.assign(plan.spec.sources.sales!, { key: 'raw/missing.csv' });
  const handle = await startRun(h.client, plan, { id: `identity-${randomId()}`, taskQueue: h.taskQueue });
  await handle.result().then(() => assert.fail('the run should fail'), () => undefined);
  const desc = await handle.describe();
  const report = (await desc.memo) as { report?: RunReport } | undefined;
  assert.equal(report?.report?.status, 'failed');
  assert.equal(report?.report?.run.trigger, 'client');
  assert.equal(report?.report?.run.date, desc.startTime.toISOString().slice(0, 10));
  assert.match(report?.report?.error ?? '', /^ingest: .*raw\/missing\.csv/);
  assert.deepEqual(await attributes(handle.workflowId), [['retail'], [desc.startTime.toISOString().slice(0, 10)], ['client']]);
});

test('a namespace without Ferry\'s search attributes: the start fails with how to register them', async () => {
  const namespace = 'ferry-no-attributes';
  await h.client.connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: { seconds: Long.fromNumber(86400) } }).catch(() => undefined);
  const client = new Client({ connection: h.client.connection, namespace });
  const plan = planOf(await loadPipeline(RETAIL, { params: {} }));
  // A new namespace takes a moment to be served.
  let err: unknown;
  for (let i = 0; i < 50; i++) {
    err = await startRun(client, plan, { id: `identity-${randomId()}`, taskQueue: h.taskQueue }).then(() => undefined, (e: unknown) => e);
    if (err instanceof ConfigError) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.ok(err instanceof ConfigError, String(err));
  assert.match(err.message, /^search attribute Ferry(Pipeline|RunDate|Trigger|Gate) \(one of Ferry's: FerryPipeline, FerryRunDate, FerryTrigger, FerryGate\) is not registered/);
  assert.ok(err.message.endsWith(`is not registered in namespace ${namespace}: run \`ferry dev\` for the local dev server, or once per namespace: temporal operator search-attribute create --namespace ${namespace} --name FerryPipeline --type Keyword --name FerryRunDate --type Keyword --name FerryTrigger --type Keyword --name FerryGate --type Keyword`));
});

test('`ferry run --date <day>` of a pipeline with a deployed schedule is that day\'s scheduled run; several runs that day must be picked', async () => {
  const name = `dated-${randomId()}`;
  const dir = join('.ferry', 'test-tmp', name);
  await mkdir(dir, { recursive: true });
  const pipeline = (cron: string) => `name: ${name}
sources:
  products: { type: file, path: examples/retail/data/products.csv }
sinks:
  out: { type: file, input: products, path: "${dir}/{run_date}.csv" }
schedule:
  cron: "${cron}"
  timezone: Europe/Berlin
`;
  const file = join(dir, 'pipeline.yaml');
  try {
    await writeFile(file, pipeline('30 23 * * *'));
    // Not deployed yet: the day's midnight in the schedule's zone.
    const undeployed = await ferry(['run', file, '--date', '2024-01-08', '--wait', '-q', h.taskQueue]);
    assert.equal(undeployed.code, 0, undeployed.stderr);
    assert.ok(undeployed.stdout.startsWith(`started ${name} as ${name}-2024-01-07T23:00:00Z\n`), undeployed.stdout);

    assert.equal((await ferry(['schedule', 'apply', file, '-q', h.taskQueue])).code, 0);
    const deployed = await ferry(['run', file, '--date', '2024-01-08', '--wait', '-q', h.taskQueue]);
    assert.equal(deployed.code, 0, deployed.stderr);
    assert.ok(deployed.stdout.startsWith(`started ${name} as ${name}-2024-01-08T22:30:00Z\n`), deployed.stdout);
    const report = (await h.client.workflow.getHandle(`${name}-2024-01-08T22:30:00Z`).result()) as RunReport;
    assert.deepEqual([report.run.date, report.run.trigger], ['2024-01-08', 'cli']);

    await writeFile(file, pipeline('0 * * * *'));
    assert.equal((await ferry(['schedule', 'apply', file, '-q', h.taskQueue])).code, 0);
    const hourly = await ferry(['run', file, '--date', '2024-01-08', '-q', h.taskQueue]);
    assert.equal(hourly.code, 2);
    assert.equal(hourly.stderr, `error: --date 2024-01-08: schedule ${name} runs 24 times that day; give the time of the run (e.g. --date 2024-01-07T23:00:00Z), or run them all with ferry schedule backfill ${name} --from 2024-01-08 --to 2024-01-08\n`);
  } finally {
    await h.client.schedule.getHandle(name).delete().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
});
