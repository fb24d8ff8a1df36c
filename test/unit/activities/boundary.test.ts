/**
 * The activity boundary under MockActivityEnvironment: a retry resumes from the previous attempt's
 * heartbeat, a stalled attempt fails, cancellation stops even an adapter that ignores it (and a
 * running DuckDB query), heartbeats stay small, unclassified errors get a few attempts only.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { withActivityContext, MAX_HEARTBEAT_BYTES, formatDuration, type ActivityScope, type ActivityReport } from '../../../activities/boundary.js';
import { DataError } from '../../../src/errors.js';
import { UNKNOWN_ATTEMPTS } from '../../../src/failures.js';
import type { Progress } from '../../../activities/adapter.js';

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'ferry-boundary-test-'));
  process.env.FERRY_WORK_ROOT = root;
});
after(async () => {
  delete process.env.FERRY_WORK_ROOT;
  await rm(root, { recursive: true, force: true });
});

/** Runs `fn` in the boundary in a mock activity; returns the outcome and every heartbeat sent. */
async function run<T>(
  fn: (scope: ActivityScope) => Promise<T>,
  info: { attempt?: number; heartbeatDetails?: unknown; heartbeatTimeoutMs?: number } = {},
  options: { stallTimeout?: string | number; cancelAfterMs?: number; cancelReason?: 'CANCELLED' | 'WORKER_SHUTDOWN' } = {},
) {
  const env = new MockActivityEnvironment({ heartbeatTimeoutMs: 800, ...info }, { logger: new DefaultLogger('ERROR') });
  const beats: Progress[] = [];
  env.on('heartbeat', (d: Progress) => beats.push(d));
  if (options.cancelAfterMs !== undefined) setTimeout(() => env.cancel(options.cancelReason), options.cancelAfterMs);
  const started = Date.now();
  const reports: ActivityReport[] = [];
  const outcome = await env.run(() => withActivityContext('ingest customers', { stage: 'ingest', dataset: 'customers' }, fn, { summarize: () => 'ok', stallTimeout: options.stallTimeout, report: (r) => reports.push(r) }))
    .then((value) => ({ value: value as T | undefined, error: undefined as unknown }), (error: unknown) => ({ value: undefined as T | undefined, error }));
  // The first beat is the boundary's own, sent at once so progress views can name the activity.
  const [startBeat, ...rest] = beats;
  return { ...outcome, startBeat, beats: rest, reports, ms: Date.now() - started };
}

describe('the first heartbeat', () => {
  it('is sent at once and names the activity; on a retry it carries the previous attempt\'s cursor', async () => {
    const first = await run(async () => 'done');
    assert.deepEqual(first.startBeat, { activity: 'ingest customers' });
    const previous = { activity: 'ingest customers', page: 3, cursor: 'c3' };
    const retry = await run(async () => 'done', { attempt: 2, heartbeatDetails: previous });
    assert.deepEqual(retry.startBeat, previous);
  });
});

describe('resume', () => {
  it('a retry heartbeats the previous attempt\'s cursor until its adapter reports progress', async () => {
    const previous = { activity: 'ingest customers', page: 3, rows: 12, cursor: { pages: 3, next: '/customers?page=4' } };
    const { value, beats } = await run(async (scope) => {
      await sleep(700); // several timer beats (every 200 ms) before any progress
      return scope.resume;
    }, { attempt: 2, heartbeatDetails: previous });
    assert.deepEqual(value, previous);
    assert.ok(beats.length >= 2, `expected timer beats, got ${beats.length}`);
    for (const b of beats) assert.deepEqual(b, previous, 'no beat may drop the cursor');
  });

  it('progress merges into the resumed state and is heartbeated at once', async () => {
    const { beats } = await run(async (scope) => {
      scope.progress({ page: 4, rows: 16 });
      return undefined;
    }, { attempt: 2, heartbeatDetails: { page: 3, cursor: 'c3', note: 'old' } });
    assert.deepEqual(beats[0], { page: 4, rows: 16, cursor: 'c3', note: 'old', activity: 'ingest customers' });
  });

  it('a first attempt starts with no resume state', async () => {
    const { value, beats } = await run(async (scope) => {
      await sleep(300);
      return scope.resume;
    });
    assert.equal(value, undefined);
    assert.deepEqual(beats[0], { activity: 'ingest customers' });
  });
});

describe('stall_timeout: a heartbeat means progress', () => {
  it('an adapter that reports no progress fails its attempt, retryable, with "no progress for …"', async () => {
    const { error, ms } = await run(() => new Promise(() => undefined), {}, { stallTimeout: 400 });
    assert.ok(error instanceof ApplicationFailure, String(error));
    assert.equal(error.message, 'stage ingest, dataset customers: no progress for 400ms');
    assert.equal(error.type, 'TRANSIENT');
    assert.equal(error.nonRetryable, false);
    assert.ok(ms < 3000, `took ${ms} ms`);
  });

  it('written as a duration, the message says it the same way', async () => {
    const { error } = await run(() => new Promise(() => undefined), {}, { stallTimeout: '1s' });
    assert.match((error as Error).message, /: no progress for 1s$/);
  });

  it('an adapter that keeps reporting progress is not stopped, however long it takes', async () => {
    const { value, error } = await run(async (scope) => {
      for (let i = 0; i < 8; i++) {
        await sleep(100);
        scope.progress({ rows: i });
      }
      return 'done';
    }, {}, { stallTimeout: 400 });
    assert.equal(error, undefined);
    assert.equal(value, 'done');
  });

  it('a DuckDB statement that runs longer than stall_timeout is work in progress, not a stall', async () => {
    const { value, error } = await run(async (scope) => {
      // Seconds of CPU in one statement, with no progress() call of the adapter's own.
      await scope.table.run('CREATE TABLE t AS SELECT count(DISTINCT hash(i) % 1000000) AS h FROM range(30000000) r(i)');
      return 'done';
    }, {}, { stallTimeout: 300 });
    assert.equal(error, undefined);
    assert.equal(value, 'done');
  });

  it('formats durations the way config writes them', () => {
    assert.deepEqual([300_000, 1500, 250, 7_200_000, 20_000].map(formatDuration), ['5m', '1.5s', '250ms', '2h', '20s']);
  });
});

describe('cancellation', () => {
  it('aborts the signal the adapter was given, and the attempt ends as cancelled', async () => {
    let sawAbort = false;
    const { error, ms } = await run(async (scope) => {
      await new Promise((resolve) => scope.signal.addEventListener('abort', resolve));
      sawAbort = true;
      throw new Error('aborted');
    }, {}, { cancelAfterMs: 100 });
    assert.ok(sawAbort);
    assert.ok(error instanceof CancelledFailure, String(error));
    assert.ok(ms < 1500, `took ${ms} ms`);
  });

  it('stops waiting for an adapter that ignores the signal', async () => {
    const { error, ms, reports } = await run(() => new Promise(() => undefined), {}, { cancelAfterMs: 100 });
    // The worker's line says "cancelled", not an error that will or will not be retried.
    assert.deepEqual(reports.map((r) => [r.error, r.cancelled, r.willRetry]), [['cancelled', true, false]]);
    assert.ok(error instanceof CancelledFailure, String(error));
    assert.ok(ms < 2500, `took ${ms} ms`);
  });

  it('a worker shutting down fails the attempt retryably (another worker takes over at once)', async () => {
    const { error } = await run(() => new Promise(() => undefined), {}, { cancelAfterMs: 100, cancelReason: 'WORKER_SHUTDOWN' });
    assert.ok(error instanceof ApplicationFailure, String(error));
    assert.deepEqual([error.type, error.nonRetryable, error.message], ['TRANSIENT', false, 'stage ingest, dataset customers: the worker shut down during this attempt']);
  });

  it('interrupts a running DuckDB query', async () => {
    const { error, ms } = await run(async (scope) => {
      await scope.table.run('SELECT count(*) FROM range(100000000000) a WHERE a.range % 7 = 3');
      return 'finished';
    }, {}, { cancelAfterMs: 300 });
    assert.ok(error instanceof CancelledFailure, String(error));
    assert.ok(ms < 2500, `took ${ms} ms`);
  });
});

describe('heartbeat details stay small', () => {
  it('a huge cursor is not heartbeated; the counters are', async () => {
    const { beats } = await run(async (scope) => {
      scope.progress({ page: 9, rows: 900, cursor: { parts: Array.from({ length: 10_000 }, (_, i) => `part-${i}.ndjson`) } });
      return undefined;
    });
    const beat = beats[0]!;
    assert.ok(Buffer.byteLength(JSON.stringify(beat)) <= MAX_HEARTBEAT_BYTES);
    assert.equal(beat.cursor, undefined);
    assert.equal(beat.page, 9);
    assert.equal(beat.rows, 900);
    assert.match(beat.note!, /^cursor of \d+ bytes not heartbeated \(limit 16384\)$/);
  });

  it('a huge note is clipped', async () => {
    const { beats } = await run(async (scope) => {
      scope.progress({ rows: 1, note: 'x'.repeat(100_000) });
      return undefined;
    });
    assert.ok(Buffer.byteLength(JSON.stringify(beats[0])) <= MAX_HEARTBEAT_BYTES);
    assert.equal(beats[0]!.rows, 1);
  });
});

describe('failures', () => {
  it(`an unclassified error is retried until attempt ${UNKNOWN_ATTEMPTS}, then not`, async () => {
    const outcomes = [];
    for (let attempt = 1; attempt <= UNKNOWN_ATTEMPTS + 1; attempt++) {
      const { error } = await run(async () => {
        throw new Error('weird');
      }, { attempt });
      const f = error as ApplicationFailure;
      outcomes.push([attempt, f.type, f.nonRetryable, f.message]);
    }
    const base = 'stage ingest, dataset customers: weird';
    assert.deepEqual(outcomes, [
      [1, 'UNKNOWN', false, base],
      [2, 'UNKNOWN', false, base],
      [3, 'UNKNOWN', true, `${base} (unclassified error: not retried after attempt 3)`],
      [4, 'UNKNOWN', true, `${base} (unclassified error: not retried after attempt 4)`],
    ]);
  });

  it('a network error stays retryable on any attempt; a data error is never retried', async () => {
    const net = await run(async () => {
      throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    }, { attempt: 9 });
    assert.deepEqual([(net.error as ApplicationFailure).type, (net.error as ApplicationFailure).nonRetryable], ['TRANSIENT', false]);
    const data = await run(async () => {
      throw new DataError('bad row', { line: 3 });
    });
    assert.deepEqual([(data.error as ApplicationFailure).type, (data.error as ApplicationFailure).nonRetryable], ['DATA', true]);
  });
});

describe('work directory', () => {
  it('lives under this process\'s folder in FERRY_WORK_ROOT and is removed after the attempt', async () => {
    const { value } = await run<string>(async (scope) => scope.workdir);
    assert.ok(value!.startsWith(join(root, `${process.pid}-`)), String(value));
    assert.equal(existsSync(value!), false);
  });
});
