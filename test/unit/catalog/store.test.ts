/**
 * Finding a dataset's pipeline: the only pipeline that has it; several need a name, except that a
 * pipeline reading a dataset (type: catalog) records its own dataset of that name, which must not
 * make its next run ambiguous.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalStagingStore } from '../../../src/staging/store.js';
import { pipelineOf } from '../../../src/catalog/store.js';
import { ConfigError } from '../../../src/errors.js';
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
