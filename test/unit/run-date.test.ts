/** `--date` and the run date: the instant of a day in a time zone (DST included), the day of an instant, the id of a dated run. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runTimeOf, localDate, datedRunId } from '../../src/run-date.js';

test('a --date day is midnight in the schedule\'s time zone, across DST changes too', () => {
  assert.equal(runTimeOf('2024-01-05'), '2024-01-05T00:00:00.000Z');
  assert.equal(runTimeOf('2024-01-05', 'Europe/Berlin'), '2024-01-04T23:00:00.000Z');
  assert.equal(runTimeOf('2024-07-05', 'Europe/Berlin'), '2024-07-04T22:00:00.000Z');
  assert.equal(runTimeOf('2024-03-31', 'Europe/Berlin'), '2024-03-30T23:00:00.000Z'); // the day clocks go forward, at 02:00
  assert.equal(runTimeOf('2024-11-03', 'America/New_York'), '2024-11-03T04:00:00.000Z'); // the day clocks go back
  assert.equal(runTimeOf('2024-01-05', 'Asia/Kolkata'), '2024-01-04T18:30:00.000Z');
});

test('a --date time needs a zone; impossible days and other text are refused', () => {
  assert.equal(runTimeOf('2024-01-05T06:30:00Z'), '2024-01-05T06:30:00.000Z');
  assert.equal(runTimeOf('2024-01-05T06:30:00+02:00'), '2024-01-05T04:30:00.000Z');
  for (const bad of ['2024-02-30', '2024-13-01', '2024-01-05T06:30:00', 'yesterday', '05/01/2024', '']) assert.equal(runTimeOf(bad), undefined, bad);
});

test('the run date is the day of the run time in the time zone', () => {
  assert.equal(localDate('2024-01-04T23:00:00.000Z', 'UTC'), '2024-01-04');
  assert.equal(localDate('2024-01-04T23:00:00.000Z', 'Europe/Berlin'), '2024-01-05');
  assert.equal(localDate('2024-01-05T02:00:00.000Z', 'America/Sao_Paulo'), '2024-01-04');
});

test('a dated run\'s id is the one a schedule gives its run of that time', () => {
  assert.equal(datedRunId('retail', '2024-01-04T23:00:00.000Z'), 'retail-2024-01-04T23:00:00Z');
});
