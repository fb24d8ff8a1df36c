import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, utimes, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalStagingStore } from '../../../src/staging/store.js';
import { advanceWatermark, readState, resetWatermark, setWatermark, listStates, stateKey } from '../../../src/state/store.js';
import { pruneStaging } from '../../../src/staging/prune.js';

const at = { pipeline: 'shop', source: 'orders', cursor: 'updated_at' };

async function withStore(fn: (store: LocalStagingStore) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-state-'));
  try {
    await fn(new LocalStagingStore(dir));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('a commit only moves forward; a late commit of an older run changes nothing', () => withStore(async (store) => {
  assert.deepEqual(await advanceWatermark(store, at, '2024-01-05T10:00:00.000000Z', 'timestamptz', 'run-2', 't1'), { to: '2024-01-05T10:00:00.000000Z' });
  assert.deepEqual(await advanceWatermark(store, at, '2024-01-04T10:00:00.000000Z', 'timestamptz', 'run-1', 't2'), { unchanged: '2024-01-05T10:00:00.000000Z' });
  assert.deepEqual(await advanceWatermark(store, at, '2024-01-06T00:00:00.000000Z', 'timestamptz', 'run-3', 't3'),
    { from: '2024-01-05T10:00:00.000000Z', to: '2024-01-06T00:00:00.000000Z' });
  const { state } = (await readState(store, 'shop', 'orders'))!;
  assert.equal(state.value, '2024-01-06T00:00:00.000000Z');
  assert.equal(state.runKey, 'run-3');
  assert.deepEqual(state.history.map((h) => h.value), ['2024-01-06T00:00:00.000000Z', '2024-01-05T10:00:00.000000Z']);
}));

test('a retried commit of the same run reports the move it made, and writes nothing', () => withStore(async (store) => {
  await advanceWatermark(store, at, '100', 'number', 'run-1', 't1');
  const first = await advanceWatermark(store, at, '200', 'number', 'run-2', 't2');
  const again = await advanceWatermark(store, at, '200', 'number', 'run-2', 't3');
  assert.deepEqual(again, first);
  assert.equal((await readState(store, 'shop', 'orders'))!.state.history.length, 2);
}));

test('concurrent commits never lose the greatest value (compare-and-swap)', () => withStore(async (store) => {
  const values = Array.from({ length: 30 }, (_, i) => String(i + 1));
  await Promise.all(values.map((v) => advanceWatermark(store, at, v, 'number', `run-${v}`, 't')));
  assert.equal((await readState(store, 'shop', 'orders'))!.state.value, '30');
}));

test('set moves back and forth, reset forgets the value and keeps the history; prune never removes state', () => withStore(async (store) => {
  await advanceWatermark(store, at, '2024-01-05', 'date', 'run-1', 't1');
  await setWatermark(store, 'shop', 'orders', '2024-01-01', 'date', 't2');
  assert.equal((await readState(store, 'shop', 'orders'))!.state.value, '2024-01-01');
  const reset = (await resetWatermark(store, 'shop', 'orders', 't3'))!;
  assert.equal(reset.value, undefined);
  assert.deepEqual(reset.history.map((h) => h.by), ['reset', 'set', 'run']);
  assert.equal(reset.cursor, 'updated_at');
  assert.deepEqual((await listStates(store, 'shop')).map((s) => s.source), ['orders']);
  const old = new Date('2000-01-01');
  await utimes(join(store.root, stateKey('shop', 'orders')), old, old);
  await mkdir(join(store.root, 'shop', 'run-1'), { recursive: true });
  assert.deepEqual((await pruneStaging(store, 1)).map((r) => r.run), ['shop/run-1']);
  assert.ok(await readState(store, 'shop', 'orders'));
}));

test('a stored watermark of another type is refused, not silently compared', () => withStore(async (store) => {
  await advanceWatermark(store, at, '100', 'number', 'run-1', 't1');
  await assert.rejects(advanceWatermark(store, at, 'abc', 'text', 'run-2', 't2'), /is a number .* but the run's cursor is a text/);
}));
