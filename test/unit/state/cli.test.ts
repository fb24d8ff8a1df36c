import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ferry } from '../cli/support.js';
import { LocalStagingStore } from '../../../src/staging/store.js';
import { advanceWatermark } from '../../../src/state/store.js';

test('ferry state show, set, reset: text and --json, and clear errors', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-state-cli-'));
  const before = process.env.FERRY_STAGING;
  process.env.FERRY_STAGING = dir;
  try {
    const store = new LocalStagingStore(dir);
    await advanceWatermark(store, { pipeline: 'shop', source: 'orders', cursor: 'updated_at' }, '2024-01-05T10:00:00.000000Z', 'timestamptz', 'shop-run-1', '2024-01-05T10:02:00.000Z');

    const shown = await ferry(['state', 'show', 'shop', 'orders']);
    assert.equal(shown.code, 0, shown.err);
    assert.match(shown.out, /orders\s+2024-01-05T10:00:00\.000000Z\s+timestamptz, run shop-run-1 at 2024-01-05T10:02:00\.000Z/);
    assert.match(shown.out, /2024-01-05T10:02:00\.000Z\s+run\s+∅ → 2024-01-05T10:00:00\.000000Z\s+shop-run-1/);

    const set = await ferry(['state', 'set', 'shop', 'orders', '2024-01-01T02:00:00+02:00', '--json']);
    assert.equal(set.code, 0, set.err);
    const state = JSON.parse(set.out) as { value: string; type: string; by: string };
    assert.deepEqual([state.value, state.type, state.by], ['2024-01-01T00:00:00.000000Z', 'timestamptz', 'set']);

    const bad = await ferry(['state', 'set', 'shop', 'orders', 'yesterday']);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /"yesterday" is not a time/);

    const unknownSource = await ferry(['state', 'show', 'shop', 'payments']);
    assert.equal(unknownSource.code, 1);
    assert.match(unknownSource.err, /pipeline shop has no incremental source payments; sources with a watermark: orders/);
    const unknownPipeline = await ferry(['state', 'show', 'nope']);
    assert.equal(unknownPipeline.code, 1);
    assert.match(unknownPipeline.err, /no watermarks stored for pipeline nope .*pipelines with watermarks: shop/);

    const reset = await ferry(['state', 'reset', 'shop', '--json']);
    assert.equal(reset.code, 0, reset.err);
    const after = JSON.parse((await ferry(['state', 'show', 'shop', '--json'])).out) as { sources: { value?: string; history: unknown[] }[] };
    assert.deepEqual([after.sources[0]!.value, after.sources[0]!.history.length], [undefined, 3]);
  } finally {
    if (before === undefined) delete process.env.FERRY_STAGING;
    else process.env.FERRY_STAGING = before;
    await rm(dir, { recursive: true, force: true });
  }
});
