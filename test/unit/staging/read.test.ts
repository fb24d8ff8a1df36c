/**
 * Staged datasets are read back verified (sha256), can have several parts, and are written under
 * names unique to each attempt, so two attempts never share a partial file.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, appendFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TableEngine } from '../../../src/table/engine.js';
import { LocalStagingStore, partsOf, type DatasetRef } from '../../../src/staging/store.js';
import { stageDataset } from '../../../src/staging/stage.js';
import { writeTableFile } from '../../../src/table/formats.js';
import { FerryError } from '../../../src/errors.js';

let dir: string;
let store: LocalStagingStore;
let t: TableEngine;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-staged-'));
  store = new LocalStagingStore(join(dir, 'staging'));
  t = await TableEngine.open(join(dir, 'work'));
  await t.run('CREATE TABLE a AS SELECT * FROM (VALUES (1, 10), (2, 20)) v(id, amount)');
  await t.run('CREATE TABLE b AS SELECT * FROM (VALUES (3, 30)) v(id, amount)');
});
after(async () => {
  t.close();
  await rm(dir, { recursive: true, force: true });
});

const at = () => ({ pipeline: 'p', workflowId: 'run-1', stage: 'ingest', workdir: t.workdir });

test('a staged dataset reads back when its bytes match, and fails with DATA when they changed', async () => {
  const ref = await stageDataset(store, t, 'a', at());
  const files = await store.readDataset(ref, t.workdir);
  await t.loadParquet('a_back', files);
  assert.deepEqual(await t.rows('SELECT * FROM a_back ORDER BY id'), [{ id: 1, amount: 10 }, { id: 2, amount: 20 }]);

  await appendFile(files[0]!, 'garbage');
  await assert.rejects(store.readDataset(ref, t.workdir), (err: unknown) => {
    assert.ok(err instanceof FerryError);
    assert.equal(err.code, 'DATA');
    assert.match(err.message, /^staged file .*a\.parquet does not match its checksum \(sha256 [0-9a-f]{12}…, \d+ bytes when staged; now [0-9a-f]{12}…, \d+ bytes\)/);
    assert.deepEqual({ dataset: err.context.dataset, stage: err.context.stage }, { dataset: 'a', stage: 'ingest' });
    return true;
  });
});

test('a DatasetRef with parts: every part is verified and read as one dataset', async () => {
  const one = await stageDataset(store, t, 'a', { ...at(), stage: 'parts1' });
  const two = await stageDataset(store, t, 'b', { ...at(), stage: 'parts2' });
  const ref: DatasetRef = {
    dataset: 'ab', stage: 'ingest', uri: `${store.root}/p/run-1/`, rows: 3, bytes: one.bytes + two.bytes, columns: one.columns, sha256: '',
    parts: [one, two].map(({ uri, rows, bytes, sha256 }) => ({ uri, rows, bytes, sha256 })),
  };
  assert.deepEqual(partsOf(ref).map((p) => p.uri), [one.uri, two.uri]);
  assert.deepEqual(partsOf(one), [{ uri: one.uri, rows: 2, bytes: one.bytes, sha256: one.sha256 }]);
  await t.loadParquet('ab', await store.readDataset(ref, t.workdir));
  assert.deepEqual(await t.rows('SELECT * FROM ab ORDER BY id'), [{ id: 1, amount: 10 }, { id: 2, amount: 20 }, { id: 3, amount: 30 }]);
  await appendFile(await store.readPath(two.uri), 'x');
  await assert.rejects(store.readDataset(ref, t.workdir), /parts2\/b\.parquet does not match its checksum/);
});

test('two attempts writing the same target at once each use their own partial file', async () => {
  const other = await TableEngine.open(join(dir, 'work2'));
  try {
    await other.run('CREATE TABLE a AS SELECT range AS id, range * 10 AS amount FROM range(200000)');
    const target = join(dir, 'staging', 'p', 'run-1', 'same', 'a.parquet');
    const [x, y] = await Promise.all([t.exportParquet('a', target), other.exportParquet('a', target)]);
    assert.ok([x.rows, y.rows].includes(2) && [x.rows, y.rows].includes(200000));
    await t.loadParquet('same', target);
    assert.ok([2, 200000].includes(await t.count('same')));
    assert.deepEqual((await readdir(join(dir, 'staging', 'p', 'run-1', 'same'))).sort(), ['a.parquet'], 'no partial file is left behind');

    // The file sink's path too (outside the engine's directories: written in the work dir, then moved).
    const csv = join(dir, 'out', 'a.csv');
    await Promise.all([writeTableFile(t, 'a', csv, { format: 'csv' }), writeTableFile(other, 'a', csv, { format: 'csv' })]);
    assert.deepEqual(await readdir(join(dir, 'out')), ['a.csv']);
  } finally {
    other.close();
  }
});
