/** The schedule: section as a Temporal ScheduleSpec and policies, and its one-line summary. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { scheduleSchema } from '../../../src/pipeline/schedule.js';
import { temporalSpec, temporalPolicies, specSummary, specDetails, overlapName } from '../../../src/schedule/spec.js';

const parse = (v: unknown) => scheduleSchema.parse(v);

describe('temporalSpec', () => {
  it('cron, zone, jitter and a start/end of whole days', () => {
    assert.deepEqual(temporalSpec(parse({ cron: '0 2 * * *', timezone: 'Europe/Berlin', jitter: '30s', start: '2024-01-01', end: '2024-12-31' })), {
      cronExpressions: ['0 2 * * *'],
      timezone: 'Europe/Berlin',
      jitter: 30_000,
      startAt: new Date('2023-12-31T23:00:00.000Z'),
      endAt: new Date('2024-12-31T22:59:59.000Z'),
    });
  });
  it('a list of crons stays a list; an interval with its offset in milliseconds', () => {
    assert.deepEqual(temporalSpec(parse({ cron: ['0 2 * * 1-5', '0 6 * * 0'] })), { cronExpressions: ['0 2 * * 1-5', '0 6 * * 0'], timezone: 'UTC' });
    assert.deepEqual(temporalSpec(parse({ every: '1h', offset: '5m' })), { intervals: [{ every: 3_600_000, offset: 300_000 }], timezone: 'UTC' });
    assert.deepEqual(temporalSpec(parse({ every: '2s' })), { intervals: [{ every: 2000 }], timezone: 'UTC' });
  });
});

describe('temporalPolicies', () => {
  it('defaults: skip, one day of catch-up, no pause on failure', () => {
    assert.deepEqual(temporalPolicies(parse({ cron: '@daily' })), { overlap: 'SKIP', catchupWindow: 86_400_000, pauseOnFailure: false });
  });
  it('every overlap policy maps to Temporal\'s name and back', () => {
    for (const p of ['skip', 'buffer_one', 'buffer_all', 'cancel_other', 'terminate_other', 'allow_all']) {
      const policies = temporalPolicies(parse({ cron: '@daily', overlap: p, catchup_window: '10m', pause_on_failure: true }));
      assert.deepEqual(policies, { overlap: p.toUpperCase(), catchupWindow: 600_000, pauseOnFailure: true });
      assert.equal(overlapName(policies.overlap), p);
    }
  });
});

describe('specSummary and specDetails', () => {
  const CASES: [unknown, string, string[]][] = [
    [{ cron: '0 2 * * *', timezone: 'Europe/Berlin' }, 'cron 0 2 * * * Europe/Berlin', []],
    [{ cron: '0 2 * * *' }, 'cron 0 2 * * *', []],
    [{ cron: ['0 2 * * 1-5', '0 6 * * 0'] }, 'cron 0 2 * * 1-5, 0 6 * * 0', []],
    [{ every: '1h', offset: '5m', jitter: '1m' }, 'every 1h offset 5m', ['jitter up to 1m']],
    [{ cron: '@daily', every: '6h', start: '2024-01-01', end: '2024-06-30' }, 'cron @daily + every 6h', ['from 2024-01-01', 'until 2024-06-30']],
  ];
  for (const [value, summary, details] of CASES) {
    it(summary, () => {
      assert.equal(specSummary(parse(value)), summary);
      assert.deepEqual(specDetails(parse(value)), details);
    });
  }
  it('names UTC when asked', () => assert.equal(specSummary(parse({ cron: '@daily' }), true), 'cron @daily UTC'));
});
