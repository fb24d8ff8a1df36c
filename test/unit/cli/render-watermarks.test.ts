/** `ferry run --wait` and `ferry status` say where each incremental source's watermark moved. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stripVTControlCharacters } from 'node:util';
import { reportText } from '../../../src/cli/render.js';
import type { RunReport } from '../../../src/run.js';
import { RUN } from '../../support/run-context.js';

test('the report lists each watermark: from → to, or unchanged', () => {
  const report: RunReport = {
    pipeline: 'orders', workflowId: 'orders-1', run: RUN, status: 'completed', stage: 'done', startedAt: RUN.time, durationMs: 1200,
    stages: [], sinks: [],
    watermarks: { orders: { from: '2024-01-04T00:00:00.000000Z', to: '2024-01-05T10:00:00.000000Z' }, events: { unchanged: '42' }, fresh: { to: '7' } },
  };
  const text = stripVTControlCharacters(reportText(report, 'http://ui'));
  assert.match(text, /watermarks\n {4}orders {9}2024-01-04T00:00:00\.000000Z → 2024-01-05T10:00:00\.000000Z\n {4}events {9}unchanged at 42\n {4}fresh {10}\(none\) → 7\n/);
});
