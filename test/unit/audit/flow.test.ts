/** Rows in and out per stage and dataset, worked out from a report: the counts add up. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stageFlow } from '../../../src/audit/flow.js';
import { qualityReport } from '../../support/quality-report.js';

test('rows in and out of every stage: read, transformed, kept and quarantined, delivered', () => {
  assert.deepEqual(stageFlow(qualityReport()), [
    { stage: 'ingest', status: 'completed', durationMs: 2000, in: 1012, out: 1012, datasets: [{ dataset: 'sales', in: 1000, out: 1000 }, { dataset: 'stores', in: 12, out: 12 }] },
    { stage: 'standardize', status: 'skipped', datasets: [] },
    { stage: 'preprocess', status: 'completed', durationMs: 1500, in: 1012, out: 990, datasets: [{ dataset: 'sales', in: 1000, out: 990 }] },
    { stage: 'quality', status: 'completed', durationMs: 800, in: 990, out: 985, quarantined: 5, datasets: [{ dataset: 'sales', in: 990, out: 985 }, { dataset: 'sales_rejects', out: 5 }] },
    { stage: 'deliver', status: 'completed', durationMs: 3200, in: 990, out: 990, datasets: [{ dataset: 'sales → warehouse', in: 985, out: 985 }, { dataset: 'sales_rejects → lake', in: 5, out: 5 }] },
  ]);
});

test('an approved run keeps every row (its rejects are listed, not taken out); a run that stopped early has no rows after', () => {
  const report = qualityReport();
  report.stages[3]!.datasets = report.stages[3]!.datasets.filter((d) => d.dataset === 'sales_rejects');
  assert.deepEqual(stageFlow(report)[3], { stage: 'quality', status: 'completed', durationMs: 800, in: 990, out: 990, quarantined: 0, datasets: [{ dataset: 'sales', in: 990, out: 990 }, { dataset: 'sales_rejects', out: 5 }] });

  const failed = qualityReport();
  failed.stages[4] = { stage: 'deliver', status: 'pending', datasets: [] };
  failed.sinks = failed.sinks.map((s) => ({ sink: s.sink, type: s.type, status: 'not started', target: s.target }));
  assert.deepEqual(stageFlow(failed)[4], { stage: 'deliver', status: 'pending', datasets: [] });
});

test('a run the gate rejected (or still waiting): quality shows the rows in, and no rows out', () => {
  const rejected = qualityReport();
  rejected.stages[3] = { stage: 'quality', status: 'failed', durationMs: 800, datasets: [] };
  assert.deepEqual(stageFlow(rejected)[3], { stage: 'quality', status: 'failed', durationMs: 800, in: 990, datasets: [{ dataset: 'sales', in: 990 }] });
});
