/**
 * src/runs.ts readRun: the progress query of a running run that no worker answers ends at the
 * query timeout itself, so nothing stays pending: before, it lost a race against a timer and the
 * call went on to the SDK's 30 s, keeping `ferry status` alive that long after it had printed.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readRun } from '../../src/runs.js';
import { fakeClient, pendingQueries } from './cli/fake-client.js';

describe('readRun', () => {
  it('a running run no worker answers: no report after the query timeout, and no query left pending', async () => {
    const calls: string[] = [];
    const client = await fakeClient({ status: 'RUNNING', historyLength: 6, hangs: true }, calls)();
    const started = Date.now();
    const { listing, report } = await readRun(client, 'run-1', { queryTimeoutMs: 100 });
    const took = Date.now() - started;
    assert.equal(listing.status, 'running');
    assert.equal(report, undefined);
    assert.ok(took >= 90 && took < 2000, `took ${took} ms`);
    assert.equal(pendingQueries.size, 0);
    assert.deepEqual(calls, ['withDeadline']);
  });
});
