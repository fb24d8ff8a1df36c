/**
 * Finding a dataset's pipeline: the only pipeline that has it; several need a name, except that a
 * pipeline reading a dataset (type: catalog) records its own dataset of that name, which must not
 * make its next run ambiguous. `latest` is the newest completed version whose files are still
 * there (a newer failed or pruned version is skipped, by latestOf and resolveVersion alike); unpin
 * removes the pin.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalStagingStore } from '../../../src/staging/store.js';
import { pipelineOf, resolveVersion, listEntries, pinVersion, unpinVersion, pinsOf, writeEntry } from '../../../src/catalog/store.js';
import { latestOf } from '../../../src/catalog/entry.js';
import { ConfigError, NotFoundError } from '../../../src/errors.js';
import { putVersion } from './fixtures.js';

async function withStore(fn: (store: LocalStagingStore) => Promise<void>): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'ferry-catalog-'));
  try {
    await fn(new LocalStagingStore(root));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

test('a reader pipeline that recorded its own dataset of the same name still finds the other pipeline', async () => withStore(async (store) => {
  await putVersion(store, { pipeline: 'shop', dataset: 'sales', version: 'shop-1', time: '2024-01-01T00:00:00Z' });
  // The reader's first run read shop's sales and recorded its own `sales` (its source's name).
  await putVersion(store, { pipeline: 'replay', dataset: 'sales', version: 'replay-1', time: '2024-01-02T00:00:00Z' });
  assert.equal(await pipelineOf(store, 'sales', undefined, 'replay'), 'shop');
  // Only the reader has it: it reads its own earlier version.
  assert.equal(await pipelineOf(store, 'sales', 'replay', 'replay'), 'replay');
  await putVersion(store, { pipeline: 'replay2', dataset: 'solo', version: 'r-1', time: '2024-01-02T00:00:00Z' });
  assert.equal(await pipelineOf(store, 'solo', undefined, 'replay2'), 'replay2');
  // Without a reader (the CLI), or with two other pipelines, the name is still needed.
  await assert.rejects(pipelineOf(store, 'sales'), (err: unknown) => err instanceof ConfigError && /several pipelines \(replay, shop\)/.test(err.message));
  await putVersion(store, { pipeline: 'lake', dataset: 'sales', version: 'lake-1', time: '2024-01-02T00:00:00Z' });
  await assert.rejects(pipelineOf(store, 'sales', undefined, 'replay'), (err: unknown) => err instanceof ConfigError && /several pipelines \(lake, shop\)/.test(err.message));
}));

test('latest: the newest completed version with its files; a newer failed, cancelled or pruned one is skipped', async () => withStore(async (store) => {
  await putVersion(store, { version: 'v1', time: '2024-01-01T00:00:00Z' });
  await putVersion(store, { version: 'v2', time: '2024-01-02T00:00:00Z' });
  const v3 = await putVersion(store, { version: 'v3', time: '2024-01-03T00:00:00Z' });
  await writeEntry(store, { ...v3, pruned: { at: '2024-01-06T00:00:00Z', by: 'ferry prune' } });
  await putVersion(store, { version: 'v4', time: '2024-01-04T00:00:00Z', status: 'failed' });
  await putVersion(store, { version: 'v5', time: '2024-01-05T00:00:00Z', status: 'cancelled' });
  assert.equal((await resolveVersion(store, 'shop', 'sales', 'latest')).version, 'v2');
  assert.equal(latestOf(await listEntries(store, 'shop', 'sales'))?.version, 'v2');
  // An exact version is found whatever its status.
  assert.equal((await resolveVersion(store, 'shop', 'sales', 'v4')).status, 'failed');
}));

test('latest with no completed version left is a NotFoundError listing the versions', async () => withStore(async (store) => {
  await putVersion(store, { version: 'v1', time: '2024-01-01T00:00:00Z', status: 'failed' });
  assert.equal(latestOf(await listEntries(store, 'shop', 'sales')), undefined);
  await assert.rejects(resolveVersion(store, 'shop', 'sales', 'latest'),
    (err: Error) => err instanceof NotFoundError && err.message === 'dataset shop/sales has no completed version with its data (versions: v1 failed)');
}));

test('unpin removes the pin; unpinning what is not pinned says so', async () => withStore(async (store) => {
  const v1 = await putVersion(store, { version: 'v1', time: '2024-01-01T00:00:00Z' });
  await pinVersion(store, v1, 'ada', 'audit 2024');
  assert.deepEqual([...(await pinsOf(store, 'shop', 'sales')).keys()], ['v1']);
  assert.equal(await unpinVersion(store, 'shop', 'sales', 'v1'), true);
  assert.equal((await pinsOf(store, 'shop', 'sales')).size, 0);
  assert.equal(await unpinVersion(store, 'shop', 'sales', 'v1'), false);
}));
