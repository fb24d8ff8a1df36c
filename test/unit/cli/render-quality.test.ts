/**
 * `ferry run --wait` and `ferry status` show what was checked: rows in → out per stage, one line per
 * rule with samples of failures, the decision and by whom, and where report.json is.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stripVTControlCharacters } from 'node:util';
import { reportText } from '../../../src/cli/render.js';
import { sampleText } from '../../../src/cli/quality-text.js';
import { qualityReport } from '../../support/quality-report.js';

test('a quarantined run: rows in → out, rules, samples, anomaly, decision, report location', () => {
  assert.equal(stripVTControlCharacters(reportText(qualityReport(), 'http://ui/w')), [
    '',
    'shop completed in 9.0s  (shop-2024-01-21)',
    '',
    '  stage        status        time  rows in → out  per dataset',
    '  ingest       completed     2.0s   1012 → 1012  sales 1000 · stores 12',
    '  standardize  skipped',
    '  preprocess   completed     1.5s    1012 → 990  sales 990',
    '  quality      completed    800ms     990 → 985  sales 985 · sales_rejects 5 (5 quarantined)',
    '  deliver      completed     3.2s     990 → 990  sales → warehouse 985 · sales_rejects → lake 5',
    '',
    '  quality quarantine · 4 rules: 1 passed, 2 failed, 1 not evaluated · 1 anomaly',
    '    ✓ not_null:sales.id           0 of 990 rows have NULL in id',
    '    ✗ range:sales.amount          5 of 990 rows have amount outside 0–10,000 (0.51%) [quarantine]',
    '        id=17 amount=-3 — amount -3 is below 0',
    '        id=90 amount=12000 — amount 12000 is above 10000',
    '        id=91 amount=NULL — amount is NULL',
    '    ! anomaly:sales.row_count     row_count 990 is far below the usual 1,220 (median of 14 runs; expected 1,180–1,260)',
    '    – anomaly:sales.mean(amount)  not evaluated: 3 of 5 runs',
    '',
    '  decision quarantine by ana@example.org at 2024-01-21T06:00:05.000Z: known bad batch',
    '',
    '  delivered',
    '    warehouse           985 rows → postgres shop.sales',
    '    lake                  5 rows → s3://lake/rejects/',
    '',
    '  report: .ferry/staging/shop/shop-2024-01-21/report.json',
    '  Temporal UI: http://ui/w',
    '',
  ].join('\n'));
});

test('a run the gate failed: the failing rule and its samples, no sink written, no decision', () => {
  const report = qualityReport();
  report.status = 'failed';
  report.error = 'quality: quality gate: range:sales.amount: 5 of 990 rows …; no sink was written';
  report.quality = { verdict: 'fail', outcomes: [{ ...report.quality!.outcomes[1]!, onFail: 'fail', samples: [{ id: '17', note: 'x'.repeat(60), _reason: 'amount -3 is below 0' }] }] };
  report.stages[3] = { stage: 'quality', status: 'failed', durationMs: 700, datasets: [] };
  report.stages[4] = { stage: 'deliver', status: 'pending', datasets: [] };
  report.sinks = report.sinks.map((s) => ({ sink: s.sink, type: s.type, status: 'not started', target: s.target }));
  delete report.decision;
  delete report.record;
  const text = stripVTControlCharacters(reportText(report, 'http://ui/w'));
  assert.ok(text.includes('\n  quality      failed       700ms       990 → –\n  deliver      pending\n'), text);
  assert.ok(text.includes([
    '  quality fail · 1 rule: 0 passed, 1 failed',
    '    ✗ range:sales.amount  5 of 990 rows have amount outside 0–10,000 (0.51%)',
    `        id=17 note=${'x'.repeat(39)}… — amount -3 is below 0`,
    '',
    '  sinks',
  ].join('\n')), text);
  assert.ok(!text.includes('report:') && !text.includes('decision'), text);
});

test('a sample row: columns in order, NULL, the reason last', () => {
  assert.equal(sampleText({ id: '1', email: null, _rule: 'not_null:x.email', _reason: 'email is NULL' }), 'id=1 email=NULL — email is NULL');
});
