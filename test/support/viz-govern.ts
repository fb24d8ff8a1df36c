/**
 * A governed pipeline and its run reports for the view's tests: `shop` has quality rules (an ask
 * row rule that splits `paid` into kept rows and `paid_rejects`, a warning, a quarantine rule, a
 * table rule on another dataset) and a sink that reads the rejects. Reports: one waiting at the gate
 * with a failed rule, one decided and recorded in the catalog, and one from before the quality
 * stage (no quality, gate, decision, audit or record).
 *
 *   const loaded = shopPipeline();  const graph = pipelineGraph(loaded);
 *   runState(graph, { listing: shopListing('running'), report: waitingReport(), url: 'u' })
 */
import { pipelineSchema } from '../../src/pipeline/schema.js';
import type { LoadedPipeline } from '../../src/pipeline/load.js';
import type { RunReport, StageReport, RuleOutcome } from '../../src/run.js';
import type { RunListing } from '../../src/runs.js';

export const SHOP_ID = 'shop-2024-01-05T00:00:00Z';

/**
 * Parsed by the schema alone: the graph check of sinks reading `<dataset>_rejects` of a quality
 * split lives with the quality stage, and the view must draw what a plan holds either way.
 */
export function shopPipeline(): LoadedPipeline {
  const spec = pipelineSchema.parse({
    name: 'shop',
    description: 'orders checked before delivery',
    sources: {
      orders: { type: 'file', path: 'data/orders.csv' },
      customers: { type: 'file', path: 'data/customers.csv' },
    },
    preprocess: [{ type: 'filter', input: 'orders', where: 'amount > 0', output: 'paid' }],
    quality: {
      on_fail: 'quarantine',
      ask: { timeout: '24h', default: 'reject' },
      rules: [
        { rule: 'not_null', dataset: 'paid', columns: ['id'], on_fail: 'ask' },
        { rule: 'range', dataset: 'paid', column: 'amount', min: 0, max: 1000, severity: 'warn' },
        { rule: 'referential', dataset: 'paid', name: 'known_customer', columns: ['customer_id'], references: { dataset: 'customers', columns: ['id'] } },
        { rule: 'row_count', dataset: 'customers', min: 1, on_fail: 'fail' },
      ],
    },
    sinks: {
      good: { type: 'file', input: 'paid', path: 'out/paid.csv' },
      bad: { type: 'file', input: 'paid_rejects', path: 'out/paid_rejects.csv' },
      people: { type: 'file', input: 'customers', path: 'out/customers.csv' },
    },
  });
  return { file: 'config/pipelines/shop.yaml', spec, connections: {}, params: {} };
}

export const shopListing = (status: RunListing['status']): RunListing => ({
  workflowId: SHOP_ID, runId: 'run-1', pipeline: 'shop', runDate: '2024-01-05', trigger: 'cli', status, startTime: new Date('2024-01-05T00:00:00Z'),
});

const ds = (dataset: string, rows: number) => ({ dataset, rows, columns: 3, uri: `file:///stage/${dataset}.parquet`, schema: [{ name: 'id', type: 'VARCHAR' }, { name: 'customer_id', type: 'VARCHAR' }, { name: 'amount', type: 'DECIMAL(10,2)' }] });
const stage = (s: StageReport['stage'], status: StageReport['status'], datasets: StageReport['datasets'] = []): StageReport => ({ stage: s, status, datasets, durationMs: 10 });

export const OUTCOMES: RuleOutcome[] = [
  {
    name: 'not_null:paid.id', rule: 'not_null', dataset: 'paid', kind: 'row', severity: 'error', onFail: 'ask', status: 'failed',
    checked: 10, failed: 2, threshold: 'none', message: '2 of 10 rows have NULL in id (20.00%; allowed 0)', columns: ['id'],
    samples: [{ id: null, customer_id: 'c1', amount: '12.50', _reason: 'id is NULL' }, { id: null, customer_id: 'c2', amount: '3.00', _reason: 'id is NULL' }],
  },
  { name: 'range:paid.amount', rule: 'range', dataset: 'paid', kind: 'row', severity: 'warn', onFail: 'quarantine', status: 'failed', checked: 10, failed: 1, threshold: 'none', message: '1 of 10 rows have amount above 1000' },
  { name: 'known_customer', rule: 'referential', dataset: 'paid', kind: 'row', severity: 'error', onFail: 'quarantine', status: 'passed', checked: 10, failed: 0, threshold: 'none', message: 'every customer_id is in customers.id' },
  { name: 'row_count:customers.rows', rule: 'row_count', dataset: 'customers', kind: 'table', severity: 'error', onFail: 'fail', status: 'passed', value: 4, expected: 'at least 1', message: '4 rows (at least 1)' },
];

const base = (): RunReport => ({
  pipeline: 'shop', workflowId: SHOP_ID,
  run: { key: SHOP_ID, time: '2024-01-05T00:00:00Z', date: '2024-01-05', timezone: 'UTC', trigger: 'cli' },
  status: 'running', stage: 'quality', startedAt: '2024-01-05T00:00:00.000Z',
  stages: [
    stage('ingest', 'completed', [ds('orders', 12), ds('customers', 4)]),
    stage('standardize', 'skipped'),
    stage('preprocess', 'completed', [ds('paid', 10)]),
    stage('quality', 'running'),
    stage('deliver', 'pending'),
  ],
  sinks: [
    { sink: 'good', type: 'file', status: 'not started', target: 'file out/paid.csv' },
    { sink: 'bad', type: 'file', status: 'not started', target: 'file out/paid_rejects.csv' },
    { sink: 'people', type: 'file', status: 'not started', target: 'file out/customers.csv' },
  ],
  audit: { trigger: 'cli', file: 'config/pipelines/shop.yaml', pipelineSha256: 'ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12', params: {}, workflowId: SHOP_ID, runId: 'run-1' },
});

/** Waiting at the gate: not_null failed with on_fail ask. */
export function waitingReport(): RunReport {
  return {
    ...base(), status: 'waiting',
    quality: { verdict: 'ask', outcomes: OUTCOMES },
    gate: { askedAt: '2024-01-05T00:01:00.000Z', deadline: '2024-01-06T00:01:00.000Z', default: 'reject', rules: ['not_null:paid.id'] },
  };
}

/** The same run after `ferry quarantine`: the split staged, every sink delivered, the run recorded in the catalog. */
export function decidedReport(): RunReport {
  const r = waitingReport();
  delete r.gate;
  const stages = r.stages.map((s) => s.stage === 'quality' ? { ...s, status: 'completed' as const, datasets: [ds('paid', 8), ds('paid_rejects', 2)] }
    : s.stage === 'deliver' ? { ...s, status: 'completed' as const, datasets: [] } : s);
  return {
    ...r, status: 'completed', stage: 'done', stages, finishedAt: '2024-01-05T02:00:00.000Z', durationMs: 7_200_000,
    decision: { decision: 'quarantine', by: 'alice@example.com', at: '2024-01-05T01:59:00.000Z', comment: 'late ids, keep them aside' },
    sinks: [
      { sink: 'good', type: 'file', status: 'delivered', target: 'file out/paid.csv', rows: 8 },
      { sink: 'bad', type: 'file', status: 'delivered', target: 'file out/paid_rejects.csv', rows: 2 },
      { sink: 'people', type: 'file', status: 'delivered', target: 'file out/customers.csv', rows: 4 },
    ],
    record: {
      reportUri: `file:///stage/shop/${SHOP_ID}/report.json`,
      versions: { orders: SHOP_ID, customers: SHOP_ID, paid: SHOP_ID, paid_rejects: SHOP_ID },
    },
  };
}

/** A report recorded before the quality stage existed: its stage list has no quality, and no governed field is set. */
export function oldReport(): RunReport {
  const r = decidedReport();
  const old: RunReport = {
    pipeline: r.pipeline, workflowId: r.workflowId, run: r.run, status: 'completed', stage: 'done', startedAt: r.startedAt, finishedAt: r.finishedAt, durationMs: 1000,
    stages: r.stages.filter((s) => s.stage !== 'quality').map((s) => s.stage === 'ingest' ? { ...s, datasets: s.datasets.map(({ schema: _, ...d }) => d) } : s),
    sinks: r.sinks,
  };
  return old;
}
