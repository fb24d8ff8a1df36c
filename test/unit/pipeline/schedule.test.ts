/** The `schedule:` section: valid and invalid sections (table-driven), and the instants of start/end. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { scheduleSchema, scheduleRange, cronProblem } from '../../../src/pipeline/schedule.js';

const messages = (value: unknown): string[] => {
  const res = scheduleSchema.safeParse(value);
  return res.success ? [] : res.error.issues.map((i) => `${i.path.join('.') || '.'}: ${i.message}`);
};

describe('schedule: valid sections', () => {
  const VALID: unknown[] = [
    { cron: '0 2 * * *' },
    { cron: ['0 2 * * 1-5', '0 6 * * 0,6'], timezone: 'Europe/Berlin' },
    { cron: '@daily' },
    { cron: '0 0 2 * * * 2030' },
    { cron: '0 2 * * MON-FRI # weekdays' },
    { every: '15m', offset: '5m' },
    { every: '1s', jitter: '500ms', overlap: 'buffer_all', catchup_window: '10m', pause_on_failure: true, paused: true },
    { cron: '0 2 * * *', start: '2024-01-01', end: '2024-12-31T23:00:00Z', params: { region: 'eu', limit: 5, dry: false } },
  ];
  for (const value of VALID) it(JSON.stringify(value), () => assert.deepEqual(messages(value), []));

  it('defaults: UTC, skip, one day of catch-up, not paused, no params', () => {
    assert.deepEqual(scheduleSchema.parse({ cron: '@hourly' }), {
      cron: '@hourly', timezone: 'UTC', overlap: 'skip', catchup_window: '1d', pause_on_failure: false, paused: false, params: {},
    });
  });
});

describe('schedule: invalid sections, each with its message', () => {
  const INVALID: [unknown, string[]][] = [
    [{}, ['.: a schedule needs cron or every']],
    [{ cron: '0 2 * *' }, ['cron: expected 5 fields (minute hour day-of-month month day-of-week), got 4 (got "0 2 * *")']],
    [{ cron: ['0 2 * * *', 'CRON_TZ=Europe/Berlin 0 2 * * *'] }, ['cron.1: set the time zone with timezone:, not in the cron expression (got "CRON_TZ=Europe/Berlin 0 2 * * *")']],
    [{ cron: '@every 5m' }, ['cron: use every: (and offset:) for intervals (got "@every 5m")']],
    [{ cron: '@often' }, ['cron: expected @yearly, @monthly, @weekly, @daily or @hourly (got "@often")']],
    [{ cron: '0 2 * * $' }, ['cron: unexpected characters in "$" (got "0 2 * * $")']],
    [{ every: '500ms' }, ['every: expected at least 1s (got "500ms")']],
    [{ cron: '@daily', offset: '5m' }, ['offset: offset goes with every']],
    [{ cron: '@daily', timezone: 'Europe/Atlantis' }, ['timezone: expected an IANA time zone such as UTC or Europe/Berlin']],
    [{ cron: '@daily', overlap: 'queue' }, ['overlap: Invalid option: expected one of "skip"|"buffer_one"|"buffer_all"|"cancel_other"|"terminate_other"|"allow_all"']],
    [{ cron: '@daily', start: '2024-01-01T06:00' }, ['start: expected a day (2024-01-01) or an ISO time with a zone (2024-01-01T06:00:00Z)']],
    [{ cron: '@daily', start: '2024-02-01', end: '2024-01-01' }, ['end: end is before start']],
    [{ cron: '@daily', cron_tz: 'UTC' }, ['.: Unrecognized key: "cron_tz"']],
  ];
  for (const [value, expected] of INVALID) it(JSON.stringify(value), () => assert.deepEqual(messages(value), expected));
});

describe('scheduleRange', () => {
  it('a start day begins at its midnight in the zone; an end day lasts through its last second', () => {
    assert.deepEqual(scheduleRange({ start: '2024-01-01', end: '2024-01-31', timezone: 'Europe/Berlin' }), {
      startAt: new Date('2023-12-31T23:00:00.000Z'), endAt: new Date('2024-01-31T22:59:59.000Z'),
    });
  });
  it('ISO times are taken as they are; none given, none set', () => {
    assert.deepEqual(scheduleRange({ start: '2024-01-01T06:00:00+02:00', timezone: 'UTC' }), { startAt: new Date('2024-01-01T04:00:00.000Z') });
    assert.deepEqual(scheduleRange({ timezone: 'UTC' }), {});
  });
  it('across a DST change the end day still ends at its local midnight', () => {
    assert.deepEqual(scheduleRange({ end: '2024-03-31', timezone: 'Europe/Berlin' }), { endAt: new Date('2024-03-31T21:59:59.000Z') });
  });
});

describe('cronProblem', () => {
  it('accepts 5, 6 and 7 fields and the macros; a comment is allowed', () => {
    for (const c of ['* * * * *', '0 0 1 1 * 2030', '0 0 0 1 1 * 2030', '@weekly', '5 4 * * SUN # Sunday']) assert.equal(cronProblem(c), undefined, c);
  });
});
