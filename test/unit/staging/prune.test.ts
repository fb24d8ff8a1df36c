/** Pruning the local staging store: runs last written before the cutoff go, newer ones stay. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, writeFile, utimes, rm, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalStagingStore } from '../../../src/staging/store.js';
import { pruneStaging } from '../../../src/staging/prune.js';

const DAY = 86_400_000;

test('prune removes the runs older than the cutoff, and a dry run removes nothing', async () => {
  const root = await mkdtemp(join(tmpdir(), 'ferry-prune-'));
  const now = Date.now();
  const put = async (run: string, file: string, bytes: number, ageDays: number) => {
    await mkdir(join(root, run, 'ingest'), { recursive: true });
    const path = join(root, run, 'ingest', file);
    await writeFile(path, Buffer.alloc(bytes));
    const t = new Date(now - ageDays * DAY);
    await utimes(path, t, t);
  };
  try {
    await put('retail/run-old', 'sales.parquet', 100, 10);
    await put('retail/run-old', 'rates.parquet', 50, 9);
    await put('retail/run-new', 'sales.parquet', 70, 1);
    await put('files/run-mixed', 'a.parquet', 10, 30);
    await put('files/run-mixed', 'b.parquet', 10, 2); // written recently: the run stays
    const store = new LocalStagingStore(root);

    const would = await pruneStaging(store, 7 * DAY, { dryRun: true, now });
    assert.deepEqual(would.map((r) => [r.run, r.bytes]), [['retail/run-old', 150]]);
    assert.deepEqual((await readdir(join(root, 'retail'))).sort(), ['run-new', 'run-old']);

    const removed = await pruneStaging(store, 7 * DAY, { now });
    assert.deepEqual(removed.map((r) => r.run), ['retail/run-old']);
    assert.deepEqual((await store.runs()).map((r) => r.run).sort(), ['files/run-mixed', 'retail/run-new']);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
