import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareValues, normalizeValue, subtractLookback, typeOfColumn } from '../../../src/state/values.js';

test('lookback on timestamps keeps microseconds and the zone form', () => {
  assert.equal(subtractLookback('2024-01-05T10:00:00.123456Z', 'timestamptz', '1h'), '2024-01-05T09:00:00.123456Z');
  assert.equal(subtractLookback('2024-01-05T00:10:00.000001', 'timestamp', '30m'), '2024-01-04T23:40:00.000001');
  assert.equal(subtractLookback('2024-01-05T10:00:00.000000Z', 'timestamptz', '1.5s'), '2024-01-05T09:59:58.500000Z');
  assert.equal(subtractLookback('2024-01-05T10:00:00Z', 'timestamptz', undefined), '2024-01-05T10:00:00Z');
});

test('lookback on dates rounds down to the day; on numbers it is exact, bigints beyond 2^53 included', () => {
  assert.equal(subtractLookback('2024-01-05', 'date', '1d'), '2024-01-04');
  assert.equal(subtractLookback('2024-01-05', 'date', '1h'), '2024-01-04');
  assert.equal(subtractLookback('9007199254740993', 'number', 2), '9007199254740991');
  assert.equal(subtractLookback('12.50', 'number', 0.75), '11.75');
  assert.equal(subtractLookback('1', 'number', 5), '-4');
});

test('a lookback of the wrong kind is a clear config error', () => {
  assert.throws(() => subtractLookback('100', 'number', '1h'), /duration but the cursor is a number/);
  assert.throws(() => subtractLookback('2024-01-05', 'date', 3), /number but the cursor is a date/);
  assert.throws(() => subtractLookback('abc', 'text', '1h'), /does not apply to a text cursor/);
});

test('values compare by their type, not as text', () => {
  assert.equal(compareValues('10', '9', 'number'), 1);
  assert.equal(compareValues('9007199254740993', '9007199254740992', 'number'), 1);
  assert.equal(compareValues('2024-01-05T10:00:00.000001Z', '2024-01-05T12:00:00+02:00', 'timestamptz'), 1);
  assert.equal(compareValues('2024-01-05T10:00:00Z', '2024-01-05T10:00:00.000000Z', 'timestamptz'), 0);
  assert.equal(compareValues('b', 'a', 'text'), 1);
});

test('values are normalised and checked for ferry state set', () => {
  assert.equal(normalizeValue('2024-01-05T12:00:00+02:00', 'timestamptz'), '2024-01-05T10:00:00.000000Z');
  assert.equal(normalizeValue('2024-01-05', 'timestamptz'), '2024-01-05T00:00:00.000000Z');
  assert.equal(normalizeValue('2024-01-05', 'date'), '2024-01-05');
  assert.throws(() => normalizeValue('2024-02-30', 'date'), /is not a date/);
  assert.throws(() => normalizeValue('soon', 'timestamptz'), /is not a time/);
  assert.throws(() => normalizeValue('ten', 'number'), /is not a number/);
});

test('cursor column types', () => {
  assert.deepEqual(['TIMESTAMP WITH TIME ZONE', 'TIMESTAMP', 'TIMESTAMP_NS', 'DATE', 'BIGINT', 'DECIMAL(12,2)', 'VARCHAR', 'BLOB'].map(typeOfColumn),
    ['timestamptz', 'timestamp', 'timestamp', 'date', 'number', 'number', 'text', undefined]);
});
