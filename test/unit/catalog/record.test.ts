/**
 * recordCatalog: one entry per staged dataset whose version is its final stage's file, the run's
 * status as it ended (only a completed run's version can be `latest`), a split dataset profiled
 * from its kept rows, the versions the run read released, and retention applied by completed runs
 * only.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalStagingStore, type DatasetRef } from '../../../src/staging/store.js';
import { stageDataset } from '../../../src/staging/stage.js';
import { TableEngine } from '../../../src/table/engine.js';
import { recordCatalog } from '../../../src/catalog/record.js';
import { listEntries, readEntry, markInUse, inUseOf, resolveVersion } from '../../../src/catalog/store.js';
import type { FinishRunInput, RunReport, DatasetProfile } from '../../../src/run.js';
import { qualityReport } from '../../support/quality-report.js';
import { putVersion } from './fixtures.js';

async function withStore(fn: (store: LocalStagingStore, root: string) => Promise<void>): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'ferry-record-'));
  try {
    await fn(new LocalStagingStore(join(root, 'staging')), root);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

const ref = (store: LocalStagingStore, stage: string, rows: number, dataset = 'sales'): DatasetRef => ({
  dataset, stage, uri: store.uri(`shop/shop-2024-01-21/${stage}/${dataset}.parquet`), rows, bytes: 100 + rows, sha256: stage.padEnd(64, '0'), columns: [{ name: 'id', type: 'BIGINT' }],
});
const profile = (rows: number): DatasetProfile => ({ rows, columns: [{ name: 'id', type: 'BIGINT', nulls: 0, null_ratio: 0, distinct: rows }] });

function input(store: LocalStagingStore, status: RunReport['status'], over: Partial<FinishRunInput> = {}): FinishRunInput {
  const report = { ...qualityReport(), status };
  return {
    pipeline: 'shop', run: report.run, report,
    staged: [{ stage: 'ingest', ref: ref(store, 'ingest', 1000) }, { stage: 'preprocess', ref: ref(store, 'preprocess', 990) }],
    profiles: { sales: profile(990) },
    graph: { sources: { sales: 'postgres' }, standardize: [], preprocess: [] },
    ...over,
  };
}

test('a dataset staged by two stages is one entry: the final stage\'s file is the version, every stage listed, where it went', async () => withStore(async (store, root) => {
  assert.deepEqual(await recordCatalog(store, input(store, 'completed'), root), { sales: 'shop-2024-01-21' });
  const e = (await readEntry(store, 'shop', 'sales', 'shop-2024-01-21'))!;
  assert.deepEqual([e.status, e.stage, e.uri, e.rows, e.sha256, e.profile?.rows], ['completed', 'preprocess', ref(store, 'preprocess', 990).uri, 990, 'preprocess'.padEnd(64, '0'), 990]);
  assert.deepEqual(e.stages.map((s) => [s.stage, s.rows]), [['ingest', 1000], ['preprocess', 990]]);
  assert.deepEqual(e.delivered, [{ sink: 'warehouse', type: 'postgres', target: 'postgres shop.sales', rows: 985 }], 'the sink the deliver stage sent sales to');
}));

test('a failed or cancelled run\'s version says so, and is never latest', async () => withStore(async (store, root) => {
  await putVersion(store, { version: 'shop-2024-01-20', time: '2024-01-20T00:00:00.000Z' });
  await recordCatalog(store, input(store, 'failed'), root);
  assert.equal((await readEntry(store, 'shop', 'sales', 'shop-2024-01-21'))!.status, 'failed');
  assert.equal((await resolveVersion(store, 'shop', 'sales', 'latest')).version, 'shop-2024-01-20');
  await recordCatalog(store, input(store, 'cancelled'), root);
  assert.equal((await readEntry(store, 'shop', 'sales', 'shop-2024-01-21'))!.status, 'cancelled');
}));

test('a dataset the quality stage split is profiled from its kept rows, not from the input quality profiled', async () => withStore(async (store, root) => {
  const engine = await TableEngine.open(join(root, 'work'), { allowDirectories: [join(root, 'staging')] });
  await engine.run('CREATE TABLE sales AS SELECT i AS id FROM range(1, 986) r(i)');
  const kept = await stageDataset(store, engine, 'sales', { pipeline: 'shop', workflowId: 'shop-2024-01-21', stage: 'quality', workdir: join(root, 'work') });
  engine.close();
  const staged = [{ stage: 'preprocess' as const, ref: ref(store, 'preprocess', 990) }, { stage: 'quality' as const, ref: kept }];
  await recordCatalog(store, input(store, 'completed', { staged }), root);
  const e = (await readEntry(store, 'shop', 'sales', 'shop-2024-01-21'))!;
  assert.deepEqual([e.stage, e.rows, e.profile?.rows, e.profile?.columns.map((c) => [c.name, c.min, c.max])], ['quality', 985, 985, [['id', 1, 985]]]);
  assert.deepEqual(e.lineage.steps, ['quality']);
}));

test('the run releases the versions it read, however it ended', async () => withStore(async (store, root) => {
  const read = await putVersion(store, { pipeline: 'upstream', dataset: 'orders', version: 'up-1', time: '2024-01-20T00:00:00.000Z' });
  await markInUse(store, read, { pipeline: 'shop', key: 'shop-2024-01-21' });
  assert.equal((await inUseOf(store, 'upstream', 'orders')).size, 1);
  await recordCatalog(store, input(store, 'failed'), root);
  assert.equal((await inUseOf(store, 'upstream', 'orders')).size, 0);
}));

test('retention (keep) runs after a completed run only', async () => withStore(async (store, root) => {
  for (const day of [18, 19, 20]) await putVersion(store, { version: `shop-2024-01-${day}`, time: `2024-01-${day}T00:00:00.000Z` });
  const catalog = { keep: 1, reads: [] };
  await recordCatalog(store, input(store, 'failed', { catalog }), root);
  assert.deepEqual((await listEntries(store, 'shop', 'sales')).filter((e) => e.pruned).map((e) => e.version), [], 'a failed run prunes nothing');
  await recordCatalog(store, input(store, 'completed', { catalog }), root);
  assert.deepEqual((await listEntries(store, 'shop', 'sales')).map((e) => [e.version, !!e.pruned]), [
    ['shop-2024-01-21', false], ['shop-2024-01-20', true], ['shop-2024-01-19', true], ['shop-2024-01-18', true],
  ]);
}));
