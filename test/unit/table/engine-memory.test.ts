/**
 * An engine's memory is bounded whatever the data's size: the default limit is capped, a dataset
 * larger than the limit spills to the work folder instead of failing, and staging a dataset counts
 * its rows from the COPY itself (a view is not run a second time to count it).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TableEngine, defaultMemoryLimit, MAX_DEFAULT_MEMORY_MB } from '../../../src/table/engine.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-memory-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const GB = 1024 ** 3;

test('the default memory limit is an eighth of the machine, at least 128 MB and at most 256 MB; FERRY_MEMORY_LIMIT overrides', () => {
  assert.equal(MAX_DEFAULT_MEMORY_MB, 256);
  assert.equal(defaultMemoryLimit({}, 64 * GB), '256MB');
  assert.equal(defaultMemoryLimit({}, 1.5 * GB), '192MB');
  assert.equal(defaultMemoryLimit({}, 0.5 * GB), '128MB');
  assert.equal(defaultMemoryLimit({ FERRY_MEMORY_LIMIT: '4GB' }, 64 * GB), '4GB');
});

test('a table larger than the memory limit spills to the work folder and stages exactly', async () => {
  const workdir = join(dir, 'spill');
  const t = await TableEngine.open(workdir, { memoryLimit: '64MB', threads: 1 });
  try {
    // About 150 MB of rows in a 64 MB engine.
    await t.run(`CREATE TABLE big AS SELECT i AS id, repeat(chr(65 + (i % 26)::INT), 30) || i AS s FROM range(3000000) r(i)`);
    const [spilled] = await t.rows(`SELECT sum(temporary_storage_bytes) AS bytes FROM duckdb_memory()`);
    assert.ok(Number(spilled!.bytes) > 0, 'the table did not spill');
    const [sums] = await t.rows(`SELECT count(*) AS n, sum(id) AS total, sum(length(s)) AS chars FROM big`);
    const stats = await t.exportParquet('big', join(workdir, 'big.parquet'));
    assert.equal(stats.rows, 3_000_000);
    await t.loadParquet('back', join(workdir, 'big.parquet'));
    assert.deepEqual(await t.rows(`SELECT count(*) AS n, sum(id) AS total, sum(length(s)) AS chars FROM back`), [sums]);
    const [held] = await t.rows(`SELECT sum(memory_usage_bytes) AS bytes FROM duckdb_memory()`);
    assert.ok(Number(held!.bytes) <= 64 * 1024 * 1024, `the engine holds ${held!.bytes} bytes`);
  } finally {
    t.close();
  }
});

test('staging a view counts the rows the COPY wrote, without running the view again', async () => {
  const t = await TableEngine.open(join(dir, 'view'), { threads: 1 });
  try {
    // A view whose rows differ each time it runs: the count must be of the rows staged.
    await t.run(`CREATE VIEW v AS SELECT i FROM range(1000) r(i) WHERE random() < 0.5`);
    const stats = await t.exportParquet('v', join(dir, 'view', 'v.parquet'));
    await t.loadParquet('back', join(dir, 'view', 'v.parquet'));
    assert.equal(stats.rows, await t.count('back'));
  } finally {
    t.close();
  }
});
