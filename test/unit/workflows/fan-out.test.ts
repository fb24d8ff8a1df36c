/**
 * The fan-out's pure parts: at most `limit` parts run at once, results keep the parts' order, a
 * failure starts nothing new and is thrown once the running ones finish; the concurrency setting
 * is read from `partition` or `fan_out`, whichever the source has.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bounded } from '../../../workflows/fan-out-child.js';
import { concurrencyOf, DEFAULT_CONCURRENCY } from '../../../workflows/fan-out.js';
import { joinRefs } from '../../../activities/parts.js';

const tick = () => new Promise((r) => setTimeout(r, 1));

describe('bounded', () => {
  it('runs at most `limit` at once and keeps the order', async () => {
    let running = 0;
    let peak = 0;
    const out = await bounded([5, 1, 4, 2, 3, 0, 6], 3, async (n) => {
      running++;
      peak = Math.max(peak, running);
      for (let i = 0; i < n; i++) await tick();
      running--;
      return n * 10;
    });
    assert.deepEqual(out, [50, 10, 40, 20, 30, 0, 60]);
    assert.equal(peak, 3);
  });
  it('after a failure starts nothing new, lets the running finish, throws the first failure', async () => {
    const started: number[] = [];
    const finished: number[] = [];
    const err = await bounded([0, 1, 2, 3, 4, 5], 2, async (n) => {
      started.push(n);
      await tick();
      if (n === 1) throw new Error('part 1 failed');
      await tick();
      finished.push(n);
      return n;
    }).catch((e: unknown) => e);
    assert.equal((err as Error).message, 'part 1 failed');
    assert.deepEqual(started, [0, 1]);
    assert.deepEqual(finished, [0]);
  });
  it('no items: no results', async () => assert.deepEqual(await bounded([], 4, async () => 1), []));
});

describe('concurrencyOf', () => {
  const source = (extra: Record<string, unknown>) => ({ type: 'postgres', ...extra }) as unknown as Parameters<typeof concurrencyOf>[0];
  it('reads partition.concurrency, fan_out.concurrency, else the default', () => {
    assert.equal(concurrencyOf(source({ partition: { column: 'id', count: 8, concurrency: 2 } })), 2);
    assert.equal(concurrencyOf(source({ fan_out: { batch: 10, concurrency: 7 } })), 7);
    assert.equal(concurrencyOf(source({ fan_out: true })), DEFAULT_CONCURRENCY);
    assert.equal(concurrencyOf(source({})), DEFAULT_CONCURRENCY);
  });
});

describe('joinRefs', () => {
  const ref = (uri: string, rows: number, parts?: { uri: string; rows: number; bytes: number; sha256: string }[]) =>
    ({ dataset: 'd', stage: 'ingest', uri, rows, bytes: rows * 10, columns: [{ name: 'a', type: 'INTEGER' }], sha256: uri, ...(parts ? { parts } : {}) });
  it('one ref over every file, multi-part refs flattened, totals summed', () => {
    const joined = joinRefs([ref('s/ingest/d.p1.parquet', 2), ref('s/ingest/d.x', 5, [{ uri: 's/ingest/d.p2.parquet', rows: 3, bytes: 30, sha256: 'a' }, { uri: 's/ingest/d.p3.parquet', rows: 2, bytes: 20, sha256: 'b' }])]);
    assert.deepEqual(joined.parts!.map((p) => [p.uri, p.rows]), [['s/ingest/d.p1.parquet', 2], ['s/ingest/d.p2.parquet', 3], ['s/ingest/d.p3.parquet', 2]]);
    assert.equal(joined.rows, 7);
    assert.equal(joined.bytes, 70);
    assert.equal(joined.uri, 's/ingest/d.p');
  });
});
