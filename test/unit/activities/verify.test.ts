/** `ferry retry` reuses a staged dataset only when its file is there byte for byte, and only inside the staging store. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { verifyActivity } from '../../../activities/verify.js';
import { LocalStagingStore } from '../../../src/staging/store.js';
import type { DatasetRef } from '../../../src/run.js';

test('verifyStaged keeps the refs whose file still has the recorded sha256 and size', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-verify-test-'));
  process.env.FERRY_WORK_ROOT = join(dir, 'work');
  try {
    const store = new LocalStagingStore(join(dir, 'staging'));
    const refOf = async (key: string, content: string): Promise<DatasetRef> => {
      await mkdir(join(dir, 'staging', key, '..'), { recursive: true });
      await writeFile(join(dir, 'staging', key), content);
      return { dataset: key, stage: 'ingest', uri: store.uri(key), rows: 1, bytes: Buffer.byteLength(content), columns: [], sha256: createHash('sha256').update(content).digest('hex') };
    };
    const same = await refOf('p/run/ingest/a.parquet', 'aaa');
    const changed = { ...(await refOf('p/run/ingest/b.parquet', 'bbb')), sha256: 'f'.repeat(64) };
    const missing = { ...same, uri: store.uri('p/run/ingest/gone.parquet') };
    const outside = await refOf('../outside.parquet', 'ooo');
    const { verified } = await new MockActivityEnvironment({}, { logger: new DefaultLogger('ERROR') })
      .run(verifyActivity(store), { refs: [same, changed, missing, outside] }) as { verified: string[] };
    assert.deepEqual(verified, [same.uri]);
  } finally {
    delete process.env.FERRY_WORK_ROOT;
    await rm(dir, { recursive: true, force: true });
  }
});

test('a fanned-out dataset is reusable only when every one of its parts is intact', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-verify-test-'));
  process.env.FERRY_WORK_ROOT = join(dir, 'work');
  try {
    const store = new LocalStagingStore(join(dir, 'staging'));
    const part = async (key: string, content: string) => {
      await mkdir(join(dir, 'staging', key, '..'), { recursive: true });
      await writeFile(join(dir, 'staging', key), content);
      return { uri: store.uri(key), rows: 1, bytes: Buffer.byteLength(content), sha256: createHash('sha256').update(content).digest('hex') };
    };
    const parts = [await part('p/run/ingest/orders.p0.parquet', 'zero'), await part('p/run/ingest/orders.p1.parquet', 'one')];
    const whole: DatasetRef = { dataset: 'orders', stage: 'ingest', uri: store.uri('p/run/ingest/orders'), rows: 2, bytes: 7, columns: [], sha256: '', parts };
    const broken: DatasetRef = { ...whole, dataset: 'broken', uri: store.uri('p/run/ingest/broken'), parts: [parts[0]!, { ...parts[1]!, sha256: 'f'.repeat(64) }] };
    const { verified } = await new MockActivityEnvironment({}, { logger: new DefaultLogger('ERROR') })
      .run(verifyActivity(store), { refs: [whole, broken] }) as { verified: string[] };
    assert.deepEqual(verified, [whole.uri]);
  } finally {
    delete process.env.FERRY_WORK_ROOT;
    await rm(dir, { recursive: true, force: true });
  }
});
