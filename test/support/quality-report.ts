/**
 * A finished run's report with a quality stage (a quarantine, a warned anomaly, a decision), for
 * tests of what is worked out from it and how it is shown: 1,000 sales rows read, 990 after
 * preprocess, 985 kept and 5 quarantined, 985 delivered to PostgreSQL and the 5 rejects to S3.
 */
import type { RunReport, DatasetSummary } from '../../src/run.js';

const ds = (dataset: string, rows: number, stage: string): DatasetSummary => ({ dataset, rows, columns: 3, uri: `.ferry/staging/shop/shop-2024-01-21/${stage}/${dataset}.parquet` });

export function qualityReport(): RunReport {
  return {
    pipeline: 'shop',
    workflowId: 'shop-2024-01-21',
    run: { key: 'shop-2024-01-21', time: '2024-01-21T00:00:00.000Z', date: '2024-01-21', timezone: 'UTC', trigger: 'cli' },
    status: 'completed',
    stage: 'done',
    startedAt: '2024-01-21T06:00:00.000Z',
    finishedAt: '2024-01-21T06:00:09.000Z',
    durationMs: 9000,
    stages: [
      { stage: 'ingest', status: 'completed', startedAt: '2024-01-21T06:00:00.000Z', finishedAt: '2024-01-21T06:00:02.000Z', durationMs: 2000, datasets: [ds('sales', 1000, 'ingest'), ds('stores', 12, 'ingest')] },
      { stage: 'standardize', status: 'skipped', datasets: [] },
      { stage: 'preprocess', status: 'completed', durationMs: 1500, datasets: [ds('sales', 990, 'preprocess')] },
      { stage: 'quality', status: 'completed', durationMs: 800, datasets: [ds('sales', 985, 'quality'), ds('sales_rejects', 5, 'quality')] },
      { stage: 'deliver', status: 'completed', durationMs: 3200, datasets: [{ ...ds('sales', 985, 'quality'), dataset: 'sales → warehouse' }, { ...ds('sales_rejects', 5, 'quality'), dataset: 'sales_rejects → lake' }] },
    ],
    sinks: [
      { sink: 'warehouse', type: 'postgres', status: 'delivered', target: 'postgres shop.sales', rows: 985 },
      { sink: 'lake', type: 's3', status: 'delivered', target: 's3://lake/rejects/', rows: 5 },
    ],
    quality: {
      verdict: 'quarantine',
      outcomes: [
        { name: 'not_null:sales.id', rule: 'not_null', dataset: 'sales', kind: 'row', severity: 'error', onFail: 'fail', status: 'passed', checked: 990, failed: 0, threshold: 'none', message: '0 of 990 rows have NULL in id' },
        {
          name: 'range:sales.amount', rule: 'range', dataset: 'sales', kind: 'row', severity: 'error', onFail: 'quarantine', status: 'failed', checked: 990, failed: 5, threshold: 'none',
          message: '5 of 990 rows have amount outside 0–10,000 (0.51%)',
          samples: [{ id: '17', amount: '-3', _reason: 'amount -3 is below 0' }, { id: '90', amount: '12000', _reason: 'amount 12000 is above 10000' }, { id: '91', amount: null, _reason: 'amount is NULL' }],
        },
        { name: 'anomaly:sales.row_count', rule: 'anomaly', dataset: 'sales', kind: 'table', severity: 'warn', onFail: 'fail', status: 'failed', value: 990, expected: '1,180–1,260', message: 'row_count 990 is far below the usual 1,220 (median of 14 runs; expected 1,180–1,260)' },
        { name: 'anomaly:sales.mean(amount)', rule: 'anomaly', dataset: 'sales', kind: 'table', severity: 'warn', onFail: 'fail', status: 'not evaluated', value: 52.1, message: 'not evaluated: 3 of 5 runs' },
      ],
    },
    decision: { decision: 'quarantine', by: 'ana@example.org', at: '2024-01-21T06:00:05.000Z', comment: 'known bad batch' },
    audit: { trigger: 'cli', file: 'pipelines/shop.yaml', pipelineSha256: 'a'.repeat(64), params: { region: 'eu' }, workflowId: 'shop-2024-01-21', runId: '0193-run' },
    record: { reportUri: '.ferry/staging/shop/shop-2024-01-21/report.json', versions: {} },
  };
}
