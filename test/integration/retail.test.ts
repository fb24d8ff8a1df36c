/**
 * The retail example end to end on the real Temporal dev server, PostgreSQL and MinIO: exact rows
 * in every sink, a second run leaves no duplicates, the API token never reaches history, and the
 * recorded history replays against the current workflow code.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from '@temporalio/worker';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { startHarness, historyText, recordHistory, warehouseRows, RETAIL, RETAIL_ROWS, RETAIL_COLUMNS } from '../support/harness.js';
import { workflowsPath } from '../../src/worker.js';

let h: Awaited<ReturnType<typeof startHarness>>;

before(async () => {
  h = await startHarness();
  await h.seed();
});
after(async () => h?.stop());

const expectedCsv = [
  RETAIL_COLUMNS.join(','),
  // The CSV carries decimals as written by DuckDB: 150.00 → 150.00.
  ...RETAIL_ROWS.map((r) => r.join(',')),
].join('\n');

const expectedApiRecords = RETAIL_ROWS.map((r) => Object.fromEntries(RETAIL_COLUMNS.map((c, i) => {
  const v = r[i];
  return [c, c === 'amount' || c === 'amount_usd' ? Number(v) : v];
})));

let firstRun: { workflowId: string; history: string };

test('the retail pipeline delivers the exact rows to PostgreSQL, S3 and the HTTP API', async () => {
  const { handle, report } = await h.run(RETAIL);

  assert.equal(report.status, 'completed');
  const rows = Object.fromEntries(report.stages.map((s) => [s.stage, Object.fromEntries(s.datasets.map((d) => [d.dataset, d.rows]))]));
  assert.deepEqual(rows.ingest, { sales: 11, products: 5, transactions: 10, customers: 6, rates: 3 });
  assert.deepEqual(rows.preprocess, { enriched: 9, abnormal_sales: 1, sales_final: 9 });
  assert.deepEqual(report.sinks.map((s) => [s.sink, s.rows, s.target]).sort(), [
    ['api', 9, `POST ${h.api.url}/ingest`],
    ['lake', 9, 's3://ferry-demo/curated/sales_enriched.csv'],
    ['warehouse', 9, 'postgres retail.sales_enriched'],
  ]);

  assert.deepEqual(await warehouseRows(h), RETAIL_ROWS);
  assert.equal((await h.s3Text('ferry-demo', 'curated/sales_enriched.csv'))?.trim(), expectedCsv);
  const runId = handle.workflowId; // keys follow the logical run
  assert.deepEqual(h.api.received.map((b) => b.key), [1, 2, 3].map((n) => `${runId}-api-${n}`));
  assert.deepEqual(h.api.received.flatMap((b) => b.records).sort((a, b) => String(a.sale_id).localeCompare(String(b.sale_id))), expectedApiRecords);

  firstRun = { workflowId: handle.workflowId, history: historyToJSON(await handle.fetchHistory()) };
  // FERRY_RECORD_HISTORIES=1 re-records test/replay/histories/retail.json from this run.
  await recordHistory(handle, 'retail', [h.token, process.env.AWS_SECRET_ACCESS_KEY!]);
});

test('running the same pipeline twice leaves no duplicate rows in the upsert sink', async () => {
  const { report } = await h.run(RETAIL);
  assert.equal(report.status, 'completed');
  assert.deepEqual(await warehouseRows(h), RETAIL_ROWS);
  const loads = await h.sql<{ n: string }>(`SELECT count(*) AS n FROM retail.ferry_loads WHERE sink = 'warehouse'`);
  assert.equal(loads[0]!.n, '2');
});

test('the API token and the S3 secret never appear in the workflow history', () => {
  assert.ok(firstRun, 'needs the first run');
  const text = historyText(firstRun.history);
  // The decoded payloads are really searched: the plan's table name and the reference are in there.
  assert.ok(text.includes('retail.sales_enriched'));
  assert.ok(text.includes('${env:DEMO_API_TOKEN}'), 'the reference travels instead of the secret');
  assert.ok(!text.includes(h.token), 'bearer token leaked into history');
  assert.ok(!text.includes(process.env.AWS_SECRET_ACCESS_KEY!), 'S3 secret leaked into history');
});

test('each activity input is its slice of the plan: no other source\'s or sink\'s spec', (t) => {
  assert.ok(firstRun, 'needs the first run');
  const events = (JSON.parse(firstRun.history) as { events: Record<string, any>[] }).events; // eslint-disable-line @typescript-eslint/no-explicit-any
  const decode = (p: { data: string }) => JSON.parse(Buffer.from(p.data, 'base64').toString('utf8')) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  const plan = decode(events[0]!.workflowExecutionStartedEventAttributes.input.payloads[0]);
  const specs = { ...plan.spec.sources, ...plan.spec.sinks } as Record<string, unknown>;
  const inputs = events.flatMap((e) => (e.activityTaskScheduledEventAttributes ? [e.activityTaskScheduledEventAttributes] : []))
    .map((a) => ({ type: a.activityType.name as string, payload: a.input.payloads[0] as { data: string } }));
  assert.equal(inputs.length, 12); // the stages' activities (quality included), then finishRun (the run's record)
  let bytes = 0;
  for (const { type, payload } of inputs) {
    const input = decode(payload);
    const text = JSON.stringify(input);
    bytes += Buffer.from(payload.data, 'base64').length;
    assert.equal(input.plan, undefined, `${type} carries the plan`);
    const own = type === 'ingest' ? input.dataset : type === 'deliver' ? input.sink : undefined;
    for (const [name, spec] of Object.entries(specs)) {
      if (name !== own) assert.ok(!text.includes(JSON.stringify(spec)), `${type} ${own ?? input.stage} carries the spec of ${name}`);
    }
    if (own) assert.deepEqual(input[type === 'ingest' ? 'source' : 'spec'], specs[own]);
  }
  t.diagnostic(`activity inputs: ${bytes} bytes in all, ${Math.round(bytes / inputs.length)} on average; the plan is ${Buffer.from(events[0]!.workflowExecutionStartedEventAttributes.input.payloads[0].data, 'base64').length} bytes, once`);
});

test('the recorded history replays against the current workflow code', async () => {
  await Worker.runReplayHistory({ workflowsPath }, JSON.parse(firstRun.history), firstRun.workflowId);
});
