/**
 * Retention: the last N versions per dataset stay; older ones lose exactly their own staged files
 * (every stage's), their entry stays marked pruned, and the run folder goes once empty. Pinned
 * versions, versions a catalog source names, versions marked in use by a live run, the newest
 * completed version and running runs' versions are never pruned; `ferry prune` leaves pinned runs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalStagingStore } from '../../../src/staging/store.js';
import { applyRetention, protectedRuns, markRunPruned } from '../../../src/catalog/prune.js';
import { listEntries, pinVersion, markInUse, releaseInUse, inUseOf, readEntry } from '../../../src/catalog/store.js';
import { pruneStagingWithKept } from '../../../src/staging/prune.js';
import { putVersion, exists } from './fixtures.js';

async function withStore(fn: (store: LocalStagingStore, root: string) => Promise<void>): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'ferry-catalog-'));
  try {
    await fn(new LocalStagingStore(root), root);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

const times = ['2024-01-01T00:00:00Z', '2024-01-02T00:00:00Z', '2024-01-03T00:00:00Z', '2024-01-04T00:00:00Z', '2024-01-05T00:00:00Z'];

test('keep 2: older versions lose exactly their own files; pinned and in-use versions stay', async () => withStore(async (store, root) => {
  for (const [i, t] of times.entries()) await putVersion(store, { version: `v${i + 1}`, time: t });
  // v1's run also staged another dataset: its folder must stay, with that file.
  await putVersion(store, { dataset: 'rates', version: 'v1', time: times[0]!, stages: ['ingest'] });
  await pinVersion(store, (await readEntry(store, 'shop', 'sales', 'v2'))!, 'ada');
  await markInUse(store, (await readEntry(store, 'shop', 'sales', 'v3'))!, { pipeline: 'other', key: 'reader-1' });

  const pruned = await applyRetention(store, 'shop', ['sales'], 2, { current: 'v5', reads: [] });
  assert.deepEqual(pruned.map((p) => [p.version, p.files.map((f) => f.slice(root.length + 1))]), [
    ['v1', ['shop/v1/ingest/sales.parquet', 'shop/v1/preprocess/sales.parquet']],
  ]);
  assert.equal(await exists(join(root, 'shop/v1/ingest/sales.parquet')), false);
  assert.equal(await exists(join(root, 'shop/v1/ingest/rates.parquet')), true, 'the run\'s other dataset stays');
  for (const v of ['v2', 'v3', 'v4', 'v5']) assert.equal(await exists(join(root, `shop/${v}/preprocess/sales.parquet`)), true, v);
  const entries = await listEntries(store, 'shop', 'sales');
  assert.deepEqual(entries.map((e) => [e.version, !!e.pruned]), [['v5', false], ['v4', false], ['v3', false], ['v2', false], ['v1', true]]);

  // The reader recorded itself: v3 is free; v2 is pinned still.
  await releaseInUse(store, { pipeline: 'other', key: 'reader-1' });
  assert.equal((await inUseOf(store, 'shop', 'sales')).size, 0);
  const again = await applyRetention(store, 'shop', ['sales'], 2, { current: 'v5', reads: [] });
  assert.deepEqual(again.map((p) => p.version), ['v3']);
  assert.equal(await exists(join(root, 'shop/v3')), false, 'an emptied run folder is removed');
  assert.deepEqual((await listEntries(store, 'shop', 'sales')).filter((e) => !e.pruned).map((e) => e.version), ['v5', 'v4', 'v2']);
}));

test('never pruned: a version a catalog source names, a running run\'s, a live reader\'s, the newest completed one', async () => withStore(async (store) => {
  await putVersion(store, { version: 'v1', time: times[0]! });
  await putVersion(store, { version: 'v2', time: times[1]! });
  await putVersion(store, { version: 'v3', time: times[2]!, status: 'failed' });
  await putVersion(store, { version: 'v4', time: times[3]!, status: 'failed' });
  await putVersion(store, { version: 'v5', time: times[4]!, status: 'failed' });
  await markInUse(store, (await readEntry(store, 'shop', 'sales', 'v1'))!, { pipeline: 'other', key: 'live-reader' });
  const liveRuns = { running: async () => ['v3'], isRunning: async (key: string) => key === 'live-reader' };
  const pruned = await applyRetention(store, 'shop', ['sales'], 1, { current: 'v5', reads: [{ dataset: 'sales', version: 'v4' }], liveRuns });
  // v2 is the newest completed version (latest); v1 is read by a live run; v3 is running; v4 is named.
  assert.deepEqual(pruned.map((p) => p.version), []);
  const stale = { running: async () => [], isRunning: async () => false };
  const second = await applyRetention(store, 'shop', ['sales'], 1, { current: 'v5', reads: [], liveRuns: stale });
  // keep 1 counts completed versions: v2 stays, the failed v3–v5 after it stay for their post-mortem.
  assert.deepEqual(second.map((p) => p.version), ['v1'], 'a marker of a run that is no longer running protects nothing');
}));

test('keep counts completed versions: failed runs never push the last good versions out', async () => withStore(async (store) => {
  await putVersion(store, { version: 'v1', time: times[0]! });
  await putVersion(store, { version: 'v2', time: times[1]! });
  await putVersion(store, { version: 'v3', time: times[2]!, status: 'failed' });
  await putVersion(store, { version: 'v4', time: times[3]! });
  await putVersion(store, { version: 'v5', time: times[4]!, status: 'cancelled' });
  const pruned = await applyRetention(store, 'shop', ['sales'], 2, { current: 'v6', reads: [] });
  // The two newest completed are v4 and v2; the failed v3 between them stays, v1 goes.
  assert.deepEqual(pruned.map((p) => p.version), ['v1']);
  assert.deepEqual((await listEntries(store, 'shop', 'sales')).filter((e) => !e.pruned).map((e) => e.version), ['v5', 'v4', 'v3', 'v2']);
}));

test('ferry prune leaves a run that holds a pinned version and marks the removed runs\' entries pruned', async () => withStore(async (store, root) => {
  await putVersion(store, { version: 'v1', time: times[0]! });
  await putVersion(store, { version: 'v2', time: times[1]! });
  await pinVersion(store, (await readEntry(store, 'shop', 'sales', 'v1'))!, 'ada');
  await mkdir(join(root, '_state/shop'), { recursive: true });
  await writeFile(join(root, '_state/shop/sales.json'), '{}');
  await markInUse(store, (await putVersion(store, { version: 'v0', time: times[0]! })), { pipeline: 'other', key: 'reader-1' });
  const protect = await protectedRuns(store);
  assert.deepEqual([...protect], [['shop/v0', 'sales v0 is in use by a running run'], ['shop/v1', 'sales v1 is pinned']]);
  const { removed, kept } = await pruneStagingWithKept(store, 0, { protect, now: Date.now() + 1000 });
  assert.deepEqual(removed.map((r) => r.run), ['shop/v2'], '_catalog and _state are not runs');
  assert.deepEqual(kept.map((r) => r.run), ['shop/v0', 'shop/v1']);
  assert.equal(await markRunPruned(store, 'shop/v2', 'ferry prune'), 1);
  assert.equal((await readEntry(store, 'shop', 'sales', 'v2'))!.pruned?.by, 'ferry prune');
  assert.equal(await exists(join(root, '_catalog/shop/sales/versions/v2.json')), true);
}));
