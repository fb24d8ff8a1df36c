/** `--from` / `--to` of a backfill: whole days in the schedule's zone, both inclusive; bad input named. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { backfillRange } from '../../../src/schedule/backfill.js';

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
