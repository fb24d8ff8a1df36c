/** `--from` / `--to` of a backfill: whole days in the schedule's zone, both inclusive; bad input named. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Client } from '@temporalio/client';
import { msNumberToTs } from '@temporalio/common/lib/time.js';
import { backfill, backfillRange } from '../../../src/schedule/backfill.js';

describe('backfillRange', () => {
  it('days: from the first midnight to the last second of the last day, in the zone', () => {
    assert.deepEqual(backfillRange('2024-01-01', '2024-01-03', 'UTC'), { start: new Date('2024-01-01T00:00:00Z'), end: new Date('2024-01-03T23:59:59Z') });
    assert.deepEqual(backfillRange('2024-01-01', '2024-01-03', 'Europe/Berlin'), { start: new Date('2023-12-31T23:00:00Z'), end: new Date('2024-01-03T22:59:59Z') });
  });
  it('one day is that day', () => {
    assert.deepEqual(backfillRange('2024-01-02', '2024-01-02', 'UTC'), { start: new Date('2024-01-02T00:00:00Z'), end: new Date('2024-01-02T23:59:59Z') });
  });
  it('ISO times are exact', () => {
    assert.deepEqual(backfillRange('2024-01-01T06:00:00Z', '2024-01-01T12:00:00+01:00', 'Europe/Berlin'), { start: new Date('2024-01-01T06:00:00Z'), end: new Date('2024-01-01T11:00:00Z') });
  });
  it('bad input: a message naming the option', () => {
    assert.equal(backfillRange('yesterday', '2024-01-01', 'UTC'), '--from yesterday: expected a day (2024-01-05) or an ISO time with a zone (2024-01-05T06:00:00Z)');
    assert.equal(backfillRange('2024-01-01', '2024-02-30', 'UTC'), '--to 2024-02-30: expected a day (2024-01-05) or an ISO time with a zone (2024-01-05T06:00:00Z)');
    assert.equal(backfillRange('2024-01-03', '2024-01-01', 'UTC'), '--to 2024-01-01 is before --from 2024-01-03');
  });
});

describe('backfill', () => {
  // Temporal's answers: the schedule's matching times, the pipeline's running runs; the backfill request recorded.
  const fake = (running: string[]) => {
    const calls: { query?: string; backfill?: unknown } = {};
    const client = {
      options: { namespace: 'default' },
      workflowService: { listScheduleMatchingTimes: async () => ({ startTime: [msNumberToTs(Date.parse('2024-01-01T08:00:00Z')), msNumberToTs(Date.parse('2024-01-02T08:00:00Z'))] }) },
      workflow: {
        list: ({ query }: { query: string }) => {
          calls.query = query;
          return (async function* () { for (const workflowId of running) yield { workflowId }; })();
        },
      },
      schedule: { getHandle: () => ({ backfill: async (b: unknown) => { calls.backfill = b; } }) },
    } as unknown as Client;
    return { client, calls };
  };
  const range = { start: new Date('2024-01-01T00:00:00Z'), end: new Date('2024-01-02T23:59:59Z') };

  it('names the runs of the range that are still going: Temporal will not start them again', async () => {
    const { client, calls } = fake(['daily-2024-01-02T08:00:00Z', 'daily-2024-01-09T08:00:00Z']);
    assert.deepEqual(await backfill(client, 'daily', range, 'buffer_all', { jitter: false }), {
      runs: 2, ids: ['daily-2024-01-01T08:00:00Z', 'daily-2024-01-02T08:00:00Z'], running: ['daily-2024-01-02T08:00:00Z'],
    });
    assert.equal(calls.query, "FerryPipeline = 'daily' AND ExecutionStatus = 'Running'");
    assert.ok(calls.backfill);
  });

  it('nothing running: no running list', async () => {
    const { client } = fake([]);
    assert.deepEqual(await backfill(client, 'daily', range, 'allow_all', { jitter: false }), { runs: 2, ids: ['daily-2024-01-01T08:00:00Z', 'daily-2024-01-02T08:00:00Z'] });
  });
});
