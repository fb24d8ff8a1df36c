/**
 * `ferry prune` never deletes the staged data of a run Temporal still has open (running, or waiting
 * at a quality gate for a decision that may come days later), and says so when it cannot ask.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, writeFile, utimes, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ferry } from './support.js';
import { fakeClient } from './fake-client.js';
import { LocalStagingStore } from '../../../src/staging/store.js';
import { readEntry } from '../../../src/catalog/store.js';
import { putVersion } from '../catalog/fixtures.js';

/** A staging store in a fresh directory, as FERRY_STAGING, for the length of `fn`. */
async function withStaging(fn: (root: string) => Promise<void>): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'ferry-prune-open-'));
  const saved = process.env.FERRY_STAGING;
  process.env.FERRY_STAGING = root;
  try {
    await fn(root);
  } finally {
    if (saved === undefined) delete process.env.FERRY_STAGING;
    else process.env.FERRY_STAGING = saved;
    await rm(root, { recursive: true, force: true });
  }
}

async function oldRun(root: string, pipeline: string, run: string): Promise<void> {
  await mkdir(join(root, pipeline, run, 'ingest'), { recursive: true });
  const file = join(root, pipeline, run, 'ingest', 'sales.parquet');
  await writeFile(file, 'x');
  const old = new Date(Date.now() - 30 * 86_400_000);
  await utimes(file, old, old);
}

describe('ferry prune and open runs', () => {
  it('keeps an old run that is still open (waiting for a decision) and removes a finished one', () => withStaging(async (root) => {
    await oldRun(root, 'shop', 'shop-waiting');
    await oldRun(root, 'shop', 'shop-done');
    const calls: string[] = [];
    const res = await ferry(['prune'], { connect: fakeClient(undefined, calls, [{ workflowId: 'shop-waiting' }]) });
    assert.equal(res.code, 0, res.err);
    assert.deepEqual(calls, ["list WorkflowType = 'pipeline' AND ExecutionStatus = 'Running'"]);
    assert.match(res.out, /removed shop\/shop-done/);
    assert.match(res.out, /kept shop\/shop-waiting \(its run is still open in Temporal\)/);
    assert.deepEqual(await readdir(join(root, 'shop')), ['shop-waiting']);
  }));

  it('removes nothing when Temporal cannot be asked, and says how to prune anyway', () => withStaging(async (root) => {
    await oldRun(root, 'shop', 'shop-old');
    const res = await ferry(['prune']);
    assert.equal(res.code, 1);
    assert.match(res.err, /cannot ask Temporal which runs are still open .*nothing was removed — with --offline, prune without asking/);
    assert.deepEqual(await readdir(join(root, 'shop')), ['shop-old']);
    const offline = await ferry(['prune', '--offline']);
    assert.equal(offline.code, 0, offline.err);
    assert.deepEqual(await readdir(join(root, 'shop')), []);
  }));

  it('matches an open run to its folder by the id made one path segment (a run id with : or /)', () => withStaging(async (root) => {
    await oldRun(root, 'shop', 'shop_2024-01-05T00_00');
    const res = await ferry(['prune'], { connect: fakeClient(undefined, [], [{ workflowId: 'shop/2024-01-05T00:00' }]) });
    assert.equal(res.code, 0, res.err);
    assert.match(res.out, /kept shop\/shop_2024-01-05T00_00 \(its run is still open in Temporal\)/);
    assert.deepEqual(await readdir(join(root, 'shop')), ['shop_2024-01-05T00_00']);
  }));

  it('--dry-run removes nothing and leaves the catalog entries as they were (not marked pruned)', () => withStaging(async (root) => {
    const store = new LocalStagingStore(root);
    const entry = await putVersion(store, { version: 'v1', time: '2024-01-01T00:00:00Z', stages: ['ingest'] });
    const old = new Date(Date.now() - 30 * 86_400_000);
    await utimes(entry.uri, old, old);
    const dry = await ferry(['prune', '--dry-run', '--offline']);
    assert.equal(dry.code, 0, dry.err);
    assert.match(dry.out, /would remove shop\/v1/);
    assert.deepEqual(await readdir(join(root, 'shop', 'v1', 'ingest')), ['sales.parquet']);
    assert.equal((await readEntry(store, 'shop', 'sales', 'v1'))!.pruned, undefined);
    const real = await ferry(['prune', '--offline']);
    assert.equal(real.code, 0, real.err);
    assert.equal((await readEntry(store, 'shop', 'sales', 'v1'))!.pruned?.by, 'ferry prune --older-than 7d');
  }));
});
