/**
 * report.json beside the staged data, and the profile history records: written for every run,
 * a failed run's profile kept but never compared with, history newest first by logical run time.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalStagingStore } from '../../../src/staging/store.js';
import { writeRunReport, reportKey } from '../../../src/audit/report-file.js';
import { historyOf, historyKey } from '../../../src/quality/history.js';
import { registerSecret } from '../../../src/pipeline/interpolate.js';
import type { FinishRunInput, RunReport } from '../../../src/run.js';
import { qualityReport } from '../../support/quality-report.js';

const input = (report: RunReport, rows = 1000): FinishRunInput => ({
  pipeline: report.pipeline, run: report.run, report, staged: [],
  profiles: { sales: { rows, columns: [{ name: 'id', type: 'BIGINT', nulls: 0, null_ratio: 0, distinct: rows, mean: 1, min: 1, max: rows }] } },
  graph: { sources: { sales: 'postgres' }, standardize: [], preprocess: [] },
});

function runOn(day: number, status: RunReport['status'] = 'completed', key = `shop-2024-01-${String(day).padStart(2, '0')}`): RunReport {
  const r = qualityReport();
  const time = `2024-01-${String(day).padStart(2, '0')}T00:00:00.000Z`;
  return { ...r, status, workflowId: key, run: { ...r.run, key, time, date: time.slice(0, 10) } };
}

test('report.json: the report, rows per stage, anomalies found, and where it is; no secret in it', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-report-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const staging = new LocalStagingStore(dir);
  const report = qualityReport();
  registerSecret('s3cr3t-value-xyz');
  report.sinks[0]!.error = 'password s3cr3t-value-xyz refused'; // as if a driver had echoed it
  const uri = await writeRunReport(staging, input(report), dir);
  assert.equal(uri, `${dir}/shop/shop-2024-01-21/report.json`);
  assert.equal(reportKey('shop', 'a/b'), 'shop/a_b/report.json');
  const text = await readFile(uri, 'utf8');
  assert.ok(!text.includes('s3cr3t-value-xyz'));
  const file = JSON.parse(text);
  assert.deepEqual(file.audit, { trigger: 'cli', file: 'pipelines/shop.yaml', pipelineSha256: 'a'.repeat(64), params: { region: 'eu' }, workflowId: 'shop-2024-01-21', runId: '0193-run' });
  assert.deepEqual(file.anomalies.map((o: { name: string }) => o.name), ['anomaly:sales.row_count']);
  assert.deepEqual(file.flow[3], { stage: 'quality', status: 'completed', durationMs: 800, in: 990, out: 985, quarantined: 5, datasets: [{ dataset: 'sales', in: 990, out: 985 }, { dataset: 'sales_rejects', out: 5 }] });
  assert.deepEqual(file.record, { reportUri: uri, history: ['_history/shop/sales/2024-01-21T000000.000Z_shop-2024-01-21.json'] });
  assert.equal(file.decision.by, 'ana@example.org');
  assert.equal(file.sinks[0].error, 'password *** refused');
});

test('history: successful earlier runs only, newest first by logical run time, limited, never this run', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-history-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const staging = new LocalStagingStore(dir);
  // Written out of order (a backfill), one failed, one cancelled, and a later day than the run checked.
  for (const [day, status] of [[3, 'completed'], [1, 'completed'], [2, 'failed'], [5, 'completed'], [4, 'cancelled'], [6, 'completed'], [9, 'completed']] as const) {
    await writeRunReport(staging, input(runOn(day, status), 1000 + day), dir);
  }
  assert.deepEqual(await readdir(join(dir, '_history/shop/sales')), [1, 2, 3, 4, 5, 6, 9].map((d) => `2024-01-0${d}T000000.000Z_shop-2024-01-0${d}.json`));
  const run = runOn(6).run; // a re-run of day 6: its own record is not history; day 9 is later
  const history = historyOf(staging, 'shop', 'sales', run);
  assert.deepEqual((await history(10)).map((h) => [h.version, h.profile.rows]), [['shop-2024-01-05', 1005], ['shop-2024-01-03', 1003], ['shop-2024-01-01', 1001]]);
  assert.deepEqual((await history(2)).map((h) => h.runTime), ['2024-01-05T00:00:00.000Z', '2024-01-03T00:00:00.000Z']);
  assert.deepEqual(await historyOf(staging, 'shop', 'orders', run)(10), []);
  assert.equal(historyKey('shop', 'sales', run), '_history/shop/sales/2024-01-06T000000.000Z_shop-2024-01-06.json');
  // ferry prune never sees the history as a run.
  assert.deepEqual((await staging.runs()).map((r) => r.run).sort(), [1, 2, 3, 4, 5, 6, 9].map((d) => `shop/shop-2024-01-0${d}`));
});
