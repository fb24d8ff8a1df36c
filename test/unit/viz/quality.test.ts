/**
 * The quality stage on the graph and a governed run over it: a node per checked dataset with its
 * rules, the split into kept rows and `<dataset>_rejects`, each rule's result and counts, a run
 * waiting at the gate, the decision and who made it, the catalog version on each dataset; a report
 * from before the quality stage still draws. A `pii` step shows its column methods.
 */
import { loadRetailPlain } from '../../support/retail-plain.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pipelineGraph, stepSummary } from '../../../src/viz/model.js';
import { runState } from '../../../src/viz/run-state.js';
import { layoutGraph } from '../../../src/viz/layout.js';
import { vizPage } from '../../../src/viz/page.js';
import { shopPipeline, shopListing, waitingReport, decidedReport, oldReport, SHOP_ID, OUTCOMES } from '../../support/viz-govern.js';

const graph = () => pipelineGraph(shopPipeline());

test('the quality rules are a node per checked dataset between the last transform and the sinks; a split dataset feeds sinks its kept rows and rejects', () => {
  const g = graph();
  assert.deepEqual(g.nodes.map((n) => `${n.id} ${n.kind} ${n.stage} "${n.name}" ${n.summary}`), [
    'source:orders source ingest "orders" path: data/orders.csv · on_error: fail',
    'source:customers source ingest "customers" path: data/customers.csv · on_error: fail',
    'step:preprocess:0 step preprocess "filter → paid" where: amount > 0',
    'dataset:paid@preprocess dataset preprocess "paid" staged after preprocess',
    'quality:paid quality quality "paid" 3 rules: not_null:paid.id, range:paid.amount, known_customer',
    'dataset:paid@quality dataset quality "paid" the rows the rules kept',
    'dataset:paid_rejects@quality dataset quality "paid_rejects" the rows the rules rejected, with _rule and _reason',
    'quality:customers quality quality "customers" 1 rule: row_count:customers.rows',
    'sink:good sink deliver "good" path: out/paid.csv',
    'sink:bad sink deliver "bad" path: out/paid_rejects.csv',
    'sink:people sink deliver "people" path: out/customers.csv',
  ]);
  assert.deepEqual(g.edges.map((e) => `${e.from} -> ${e.to} (${e.dataset})`), [
    'source:orders -> step:preprocess:0 (orders)',
    'step:preprocess:0 -> dataset:paid@preprocess (paid)',
    'dataset:paid@preprocess -> quality:paid (paid)',
    'source:customers -> quality:paid (customers)', // the referential rule reads customers
    'quality:paid -> dataset:paid@quality (paid)',
    'quality:paid -> dataset:paid_rejects@quality (paid_rejects)',
    'source:customers -> quality:customers (customers)',
    'dataset:paid@quality -> sink:good (paid)',
    'dataset:paid_rejects@quality -> sink:bad (paid_rejects)',
    'quality:customers -> sink:people (customers)', // not split: sinks read it through its rules' node
  ]);
  const paid = g.nodes.find((n) => n.id === 'quality:paid')!;
  assert.deepEqual(paid.reads, ['paid', 'customers']);
  assert.deepEqual(paid.writes, ['paid', 'paid_rejects']);
  assert.deepEqual(paid.rules, [
    { name: 'not_null:paid.id', rule: 'not_null', kind: 'row', severity: 'error', onFail: 'ask', summary: 'columns: [id]' },
    { name: 'range:paid.amount', rule: 'range', kind: 'row', severity: 'warn', onFail: 'quarantine', summary: 'column: amount · min: 0 · max: 1000 · exclusive: false' },
    { name: 'known_customer', rule: 'referential', kind: 'row', severity: 'error', onFail: 'quarantine', summary: 'columns: [customer_id] · references: { dataset: customers, columns: [id] }' },
  ]);
  assert.deepEqual(g.nodes.find((n) => n.id === 'quality:customers')!.rules, [
    { name: 'row_count:customers.rows', rule: 'row_count', kind: 'table', severity: 'error', onFail: 'fail', summary: 'min: 1' },
  ]);
});

test('a pipeline without rules has no quality node (the retail example draws as before)', async () => {
  const g = pipelineGraph(await loadRetailPlain());
  assert.equal(g.nodes.filter((n) => n.kind === 'quality' || n.stage === 'quality').length, 0);
  assert.equal(g.nodes.length, 28);
});

test('a run waiting at the gate: the rules\' results and counts, the node waits, the run says since when, until when and how to decide', () => {
  const run = runState(graph(), { listing: shopListing('running'), report: waitingReport(), url: 'u' });
  assert.equal(run.status, 'waiting', 'Temporal says running; the report says waiting');
  assert.equal(run.stage, 'quality');
  assert.deepEqual(run.quality, { verdict: 'ask', passed: 2, failed: 1, warned: 1, notEvaluated: 0 });
  assert.deepEqual(run.gate, {
    askedAt: '2024-01-05T00:01:00.000Z', deadline: '2024-01-06T00:01:00.000Z', default: 'reject', rules: ['not_null:paid.id'],
    commands: [`ferry approve ${SHOP_ID}`, `ferry reject ${SHOP_ID}`, `ferry quarantine ${SHOP_ID}`],
  });
  assert.equal(run.decision, undefined);
  assert.equal(run.versions, undefined);

  const paid = run.nodes['quality:paid']!;
  assert.deepEqual({ ...paid, rules: undefined }, { status: 'waiting', checks: '1 failed · 1 warned · 1 ok', gate: 'waiting for a decision', rules: undefined });
  assert.deepEqual(paid.rules!.map((r) => [r.name, r.status, r.failed, r.checked, r.message]), [
    ['not_null:paid.id', 'failed', 2, 10, '2 of 10 rows have NULL in id (20.00%; allowed 0)'],
    ['range:paid.amount', 'warned', 1, 10, '1 of 10 rows have amount above 1000'],
    ['known_customer', 'passed', 0, 10, 'every customer_id is in customers.id'],
  ]);
  assert.deepEqual(paid.rules![0]!.samples, OUTCOMES[0]!.samples);
  assert.deepEqual(run.nodes['quality:customers'], {
    status: 'passed', checks: '1 ok',
    rules: [{ name: 'row_count:customers.rows', rule: 'row_count', kind: 'table', severity: 'error', onFail: 'fail', summary: 'min: 1', status: 'passed', value: 4, expected: 'at least 1', message: '4 rows (at least 1)' }],
  });
  assert.deepEqual(run.nodes['dataset:paid@quality'], { status: 'waiting' });
  assert.deepEqual(run.nodes['dataset:paid_rejects@quality'], { status: 'waiting' });
  assert.deepEqual(run.nodes['sink:bad'], { status: 'not started', detail: 'file out/paid_rejects.csv' });
});

test('a decided, recorded run: the decision and who made it, the split\'s rows, the catalog version on every dataset and sink', () => {
  const run = runState(graph(), { listing: shopListing('completed'), report: decidedReport(), url: 'u' });
  assert.equal(run.status, 'completed');
  assert.equal(run.gate, undefined);
  assert.deepEqual(run.decision, { decision: 'quarantine', by: 'alice@example.com', at: '2024-01-05T01:59:00.000Z', comment: 'late ids, keep them aside' });
  assert.equal(run.reportUri, `file:///stage/shop/${SHOP_ID}/report.json`);
  assert.equal(run.audit?.pipelineSha256?.slice(0, 12), 'ab12cd34ef56');
  assert.deepEqual({ ...run.nodes['quality:paid'], rules: undefined }, { status: 'quarantined', checks: '1 failed · 1 warned · 1 ok', gate: 'quarantined by alice@example.com', rules: undefined });
  const rowsAndVersion = (id: string) => [run.nodes[id]!.status, run.nodes[id]!.rows, run.nodes[id]!.version];
  assert.deepEqual(['source:orders', 'dataset:paid@preprocess', 'dataset:paid@quality', 'dataset:paid_rejects@quality', 'sink:good', 'sink:bad'].map(rowsAndVersion), [
    ['completed', 12, SHOP_ID], ['completed', 10, SHOP_ID], ['completed', 8, SHOP_ID], ['completed', 2, SHOP_ID], ['delivered', 8, SHOP_ID], ['delivered', 2, SHOP_ID],
  ]);
  assert.equal(run.nodes['step:preprocess:0']!.version, undefined, 'steps hold no dataset');
  assert.equal(run.nodes['quality:paid']!.version, undefined);
});

test('other outcomes: a failing fail rule, an approval, a timed-out default, a rule not evaluated, a stage skipped', () => {
  const g = graph();
  const state = (patch: (r: ReturnType<typeof decidedReport>) => void, id = 'quality:paid') => {
    const r = decidedReport();
    patch(r);
    return runState(g, { listing: shopListing(r.status === 'failed' ? 'failed' : 'completed'), report: r, url: 'u' }).nodes[id]!;
  };
  const failed = state((r) => {
    r.status = 'failed';
    r.quality = { verdict: 'fail', outcomes: OUTCOMES.map((o) => o.name === 'row_count:customers.rows' ? { ...o, status: 'failed', value: 0, message: '0 rows (at least 1)' } : o) };
    r.stages.find((s) => s.stage === 'quality')!.status = 'failed';
    r.stages.find((s) => s.stage === 'quality')!.error = 'quality gate: row_count:customers.rows: 0 rows (at least 1); no sink was written';
    delete r.decision;
  }, 'quality:customers');
  assert.deepEqual({ ...failed, rules: failed.rules!.map((x) => x.status) }, {
    status: 'failed', checks: '1 failed', rules: ['failed'], error: 'quality gate: row_count:customers.rows: 0 rows (at least 1); no sink was written',
  });
  const approved = runState(g, { listing: shopListing('completed'), report: { ...decidedReport(), decision: { decision: 'approve', by: 'bob', at: '2024-01-05T01:00:00Z' },
    stages: decidedReport().stages.map((s) => s.stage === 'quality' ? { ...s, datasets: s.datasets.filter((d) => d.dataset === 'paid_rejects') } : s) }, url: 'u' });
  assert.deepEqual([approved.nodes['quality:paid']!.status, approved.nodes['quality:paid']!.gate], ['approved', 'approved by bob']);
  assert.deepEqual(approved.nodes['dataset:paid@quality'], { status: 'approved', detail: 'approved: every row is delivered', version: SHOP_ID });
  assert.equal(approved.nodes['dataset:paid_rejects@quality']!.rows, 2);
  const timedOut = state((r) => { r.decision = { decision: 'reject', by: 'ferry', at: '2024-01-06T00:01:00Z', timedOut: true }; r.status = 'failed'; });
  assert.deepEqual([timedOut.status, timedOut.gate], ['rejected', 'rejected: timed out']);
  const notEvaluated = state((r) => {
    r.quality = { verdict: 'pass', outcomes: [{ name: 'row_count:customers.rows', rule: 'row_count', dataset: 'customers', kind: 'table', severity: 'error', onFail: 'fail', status: 'not evaluated', message: 'not evaluated: 3 of 5 runs' }] };
  }, 'quality:customers');
  assert.deepEqual([notEvaluated.status, notEvaluated.checks, notEvaluated.rules![0]!.status], ['passed', '1 not evaluated', 'not evaluated']);
  const notRun = state((r) => { r.quality = { verdict: 'pass', outcomes: [] }; r.stages.find((s) => s.stage === 'quality')!.status = 'skipped'; });
  assert.deepEqual([notRun.status, notRun.checks, notRun.rules!.map((x) => x.status)], ['skipped', undefined, ['not run', 'not run', 'not run']]);
});

test('a report from before the quality stage: no verdict, gate, decision, versions; quality nodes were not part of that run', () => {
  const run = runState(graph(), { listing: shopListing('completed'), report: oldReport(), url: 'u' });
  assert.equal(run.status, 'completed');
  for (const key of ['quality', 'gate', 'decision', 'audit', 'reportUri', 'versions'] as const) assert.equal(run[key], undefined, key);
  assert.deepEqual(run.nodes['quality:paid'], { status: 'not run' });
  assert.deepEqual(run.nodes['dataset:paid_rejects@quality'], { status: 'not run' });
  assert.deepEqual(run.nodes['source:orders'], { status: 'completed', rows: 12 });
  assert.deepEqual(run.nodes['sink:good'], { status: 'delivered', rows: 8, detail: 'file out/paid.csv' });
  // The page still renders: the new fields are optional all the way to the HTML.
  const g = graph();
  const html = vizPage({ title: 'shop', graph: g, layout: layoutGraph(g), run });
  assert.equal(html.match(/<g class="node /g)?.length, 11);
});

test('the run page data of a waiting run carries what the page shows, as text', () => {
  const g = graph();
  const run = runState(g, { listing: shopListing('running'), report: waitingReport(), url: 'u' });
  const html = vizPage({ title: 'shop', graph: g, layout: layoutGraph(g), run, liveApi: `/api/runs/${SHOP_ID}` });
  assert.ok(html.includes(`"commands":["ferry approve ${SHOP_ID}"`));
  assert.ok(html.includes('<text class="sub" x="14" y="36">quality · 3 rules</text>'));
  assert.ok(html.includes('<text class="extra" x="14" y="66"></text>'));
});

test('a pii step shows what it does to each column', () => {
  assert.equal(stepSummary({ type: 'pii', input: 'customers', columns: { email: 'hash', phone: { mask: { keep_last: 4 } }, ssn: 'drop', birth: { generalize: 'month' } }, hash_key: '${env:K}' }),
    'email: hash · phone: mask · ssn: drop · birth: generalize');
  assert.equal(stepSummary({ type: 'filter', input: 'a', where: 'x > 0', output: 'b' }), 'where: x > 0');
});

test('while the quality activity runs, its nodes run and show what it last heartbeated', () => {
  const r = waitingReport();
  r.status = 'running';
  delete r.quality;
  delete r.gate;
  const run = runState(graph(), { listing: shopListing('running'), report: r, activities: ['quality: 1000 rows'], url: 'u' });
  assert.equal(run.status, 'running');
  assert.deepEqual({ ...run.nodes['quality:paid'], rules: run.nodes['quality:paid']!.rules!.map((x) => x.status) }, { status: 'running', live: '1000 rows', rules: ['pending', 'pending', 'pending'] });
  assert.deepEqual(run.nodes['dataset:paid_rejects@quality'], { status: 'running' });
});
