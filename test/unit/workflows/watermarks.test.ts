import { test } from 'node:test';
import assert from 'node:assert/strict';
import { commitWatermarks } from '../../../workflows/watermarks.js';
import type { activityProxies } from '../../../workflows/stages.js';
import type { CommitWatermarksInput, IngestOutput, RunPlan, RunReport } from '../../../src/run.js';

type Acts = ReturnType<typeof activityProxies>;
const run = { key: 'shop-1', time: '2024-01-05T00:00:00Z', date: '2024-01-05', timezone: 'UTC', trigger: 'cli' as const };
const ref = { dataset: 'x', stage: 'ingest', uri: 'u', rows: 1, bytes: 1, columns: [], sha256: 's' };

function fakeActs(calls: CommitWatermarksInput[]): Acts {
  return {
    commitWatermarks: async (input: CommitWatermarksInput) => {
      calls.push(input);
      return { committed: Object.fromEntries(Object.entries(input.windows).map(([s, w]) => [s, { ...(w.watermark ? { from: w.watermark } : {}), to: w.to! }])) };
    },
  } as unknown as Acts;
}

const plan = (sources: Record<string, unknown>) => ({ pipeline: 'shop', spec: { sources } }) as unknown as RunPlan;

test('a pipeline without incremental sources schedules nothing (its histories replay unchanged)', async () => {
  const calls: CommitWatermarksInput[] = [];
  const report = {} as RunReport;
  await commitWatermarks(fakeActs(calls), plan({ a: { type: 'file' } }), run, report, { a: { ref, detail: '' } });
  assert.deepEqual([calls.length, report.watermarks], [0, undefined]);
});

test('the candidates with new rows are committed in one activity; an empty window keeps its watermark', async () => {
  const calls: CommitWatermarksInput[] = [];
  const report = {} as RunReport;
  const ingested: Record<string, IngestOutput> = {
    orders: { ref, detail: '', window: { cursor: 'updated_at', type: 'timestamptz', watermark: '2024-01-04T00:00:00.000000Z', start: '2024-01-04T00:00:00.000000Z', to: '2024-01-05T00:00:00.000000Z' } },
    refunds: { ref, detail: '', window: { cursor: 'id', type: 'number', watermark: '7', start: '7' } },
    products: { ref, detail: '' },
  };
  await commitWatermarks(fakeActs(calls), plan({ orders: { incremental: { cursor: 'updated_at' } }, refunds: { incremental: { cursor: 'id' } }, products: {} }), run, report, ingested);
  assert.equal(calls.length, 1);
  assert.deepEqual(Object.keys(calls[0]!.windows), ['orders']);
  assert.equal(calls[0]!.run.key, 'shop-1');
  assert.deepEqual(report.watermarks, { refunds: { unchanged: '7' }, orders: { from: '2024-01-04T00:00:00.000000Z', to: '2024-01-05T00:00:00.000000Z' } });
});

test('a first run with no rows at all commits nothing and reports nothing', async () => {
  const calls: CommitWatermarksInput[] = [];
  const report = {} as RunReport;
  await commitWatermarks(fakeActs(calls), plan({ orders: { incremental: { cursor: 'updated_at' } } }), run, report, { orders: { ref, detail: '', window: { cursor: 'updated_at' } } });
  assert.deepEqual([calls.length, report.watermarks], [0, undefined]);
});
