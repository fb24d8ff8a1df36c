/**
 * The anomaly rule over a synthetic history of 20 runs: a planted spike and a planted drop are
 * found, normal variation is not, one bad day inside the window does not change a verdict, and too
 * little history is "not evaluated" (never a guess).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { anomaly, type AnomalySpec } from '../../../src/quality/rules/anomaly.js';
import { median, mad, usualRange, outside } from '../../../src/quality/mad.js';
import type { RuleContext, HistoricProfile } from '../../../src/quality/rule.js';
import type { DatasetProfile } from '../../../src/run.js';
import { ConfigError } from '../../../src/errors.js';

/** 20 daily runs of about 1,000 rows, oldest first (2024-01-01 … 2024-01-20). */
const ROWS = [1000, 985, 1012, 996, 1021, 990, 1004, 978, 1015, 1008, 993, 1001, 987, 1019, 999, 1006, 982, 1010, 995, 1003];

const profile = (rows: number, nullRatio = 0, amountMean = 50): DatasetProfile => ({
  rows,
  columns: [
    { name: 'id', type: 'BIGINT', nulls: 0, null_ratio: 0, distinct: rows, mean: rows / 2, min: 1, max: rows },
    { name: 'email', type: 'VARCHAR', nulls: Math.round(rows * nullRatio), null_ratio: nullRatio, distinct: rows, min: 'a@x.org', max: 'z@x.org' },
    { name: 'amount', type: 'DOUBLE', nulls: 0, null_ratio: 0, distinct: 90, mean: amountMean, min: 0.5, max: 99.5 },
  ],
});

const day = (i: number) => `2024-01-${String(i + 1).padStart(2, '0')}T00:00:00.000Z`;

/** The history as RuleContext.history gives it: newest first, at most `limit`. */
const historyOf = (rows: number[], make = (r: number) => profile(r)): HistoricProfile[] =>
  rows.map((r, i) => ({ version: `sales-${day(i).slice(0, 10)}`, runTime: day(i), profile: make(r) })).reverse();

function ctx(current: DatasetProfile, history: HistoricProfile[], key = 'sales-2024-01-21'): RuleContext {
  return {
    table: undefined as never, // the anomaly rule reads profiles only
    dataset: 'sales',
    columns: current.columns.map(({ name, type }) => ({ name, type })),
    pipeline: 'shop',
    run: { key, time: '2024-01-21T00:00:00.000Z', date: '2024-01-21', timezone: 'UTC', trigger: 'schedule' },
    history: async (limit) => history.slice(0, limit),
    profile: async () => current,
  };
}

const spec = (over: Partial<AnomalySpec> = {}): AnomalySpec => anomaly.schema.parse({ rule: 'anomaly', dataset: 'sales', metric: 'row_count', ...over });

// The newest 14 runs (window 14): median 1,002, scaled MAD 11.12, range 1,002 ± 33.36.
const EXPECTED = 'expected 969–1,035';

test('MAD: median, median absolute deviation, and the usual range', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(mad([1, 2, 3, 4, 100]), 1);
  const r = usualRange([10, 10, 10, 10, 10], 3);
  assert.deepEqual([r.median, r.scaledMad, r.low, r.high], [10, 0, 9.9, 10.1]); // flat: ±1% of the median
  const zero = usualRange([0, 0, 0, 0, 0], 3);
  assert.deepEqual([zero.low, zero.high], [0, 0]);
  // The bounds themselves are usual (the message prints them as the expected range).
  assert.deepEqual([outside(r.low, r), outside(r.high, r), outside(9.89, r), outside(10.11, r)], [undefined, undefined, 'below', 'above']);
  assert.equal(outside(0, zero), undefined);
});

test('a planted spike is an anomaly, with the usual value and range in the message', async () => {
  const out = await anomaly.check(spec(), ctx(profile(1500), historyOf(ROWS)));
  assert.deepEqual(out, { passed: false, message: `row_count 1,500 is far above the usual 1,002 (median of 14 runs; ${EXPECTED})`, value: 1500, expected: '969–1,035' });
});

test('a planted drop is an anomaly', async () => {
  const out = await anomaly.check(spec(), ctx(profile(120), historyOf(ROWS)));
  assert.equal(out.passed, false);
  assert.equal(out.message, `row_count 120 is far below the usual 1,002 (median of 14 runs; ${EXPECTED})`);
});

test('normal variation is not flagged: every run of the history against the runs before it', async () => {
  for (let i = 5; i < ROWS.length; i++) {
    const out = await anomaly.check(spec(), ctx(profile(ROWS[i]!), historyOf(ROWS.slice(0, i))));
    assert.equal(out.passed, true, `run ${i}: ${out.message}`);
  }
  const out = await anomaly.check(spec(), ctx(profile(1030), historyOf(ROWS)));
  assert.deepEqual(out, { passed: true, message: `row_count 1,030 is as usual (median 1,002 of 14 runs; ${EXPECTED})`, value: 1030, expected: '969–1,035' });
});

test('one bad day inside the window does not move the verdict (robustness)', async () => {
  for (const bad of [10, 40_000]) {
    const rows = [...ROWS];
    rows[15] = bad; // inside the newest 14
    for (const [value, passed] of [[1030, true], [990, true], [1500, false], [120, false]] as const) {
      const out = await anomaly.check(spec(), ctx(profile(value), historyOf(rows)));
      assert.equal(out.passed, passed, `bad day ${bad}, value ${value}: ${out.message}`);
      // The median moves by one rank at most (1,002 → 1,000 or 1,003); a mean would move to ~3,800 with the 40,000 day.
      const m = Number(/(?:usual|median) ([\d,]+)/.exec(out.message)![1]!.replace(/,/g, ''));
      assert.ok(Math.abs(m - 1002) <= 2, out.message);
    }
  }
});

test('too little history: not evaluated, saying how much there is', async () => {
  const out = await anomaly.check(spec(), ctx(profile(5000), historyOf(ROWS.slice(0, 3))));
  assert.deepEqual(out, { passed: true, notEvaluated: '3 of 5 runs', message: 'not evaluated: 3 of 5 runs', value: 5000 });
  const ok = await anomaly.check(spec({ min_history: 3 }), ctx(profile(5000), historyOf(ROWS.slice(0, 3))));
  assert.equal(ok.passed, false);
});

test('the run\'s own earlier attempt (same key) is not history; the window limits how far back', async () => {
  const history = historyOf(ROWS.slice(0, 5));
  history[0] = { ...history[0]!, version: 'sales-2024-01-21' };
  const out = await anomaly.check(spec(), ctx(profile(1000), history));
  assert.equal(out.message, 'not evaluated: 4 of 5 runs');
  const w = await anomaly.check(spec({ window: 5 }), ctx(profile(1003), historyOf(ROWS)));
  assert.match(w.message, /median of 5 runs|of 5 runs/);
});

test('column metrics: null_ratio of a column that never had NULLs, mean of a numeric column', async () => {
  const nulls = await anomaly.check(spec({ metric: 'null_ratio', column: 'email' }), ctx(profile(1000, 0.02), historyOf(ROWS)));
  assert.deepEqual(nulls, { passed: false, message: 'null_ratio(email) 2% is far above the usual 0% (median of 14 runs; expected 0%–0%)', value: 0.02, expected: '0%–0%', columns: ['email'] });
  const means = [50.2, 49.8, 50.1, 50.4, 49.9, 50, 50.3, 49.7, 50.1, 50.2];
  const hist = means.map((m, i) => ({ version: `r${i}`, runTime: day(i), profile: profile(1000, 0, m) })).reverse();
  const high = await anomaly.check(spec({ metric: 'mean', column: 'amount' }), ctx(profile(1000, 0, 61.5), hist));
  assert.equal(high.message, 'mean(amount) 61.5 is far above the usual 50.1 (median of 10 runs; expected 49.43–50.77)'); // 50.1 ± 3 × 1.4826 × 0.15
  const usual = await anomaly.check(spec({ metric: 'mean', column: 'amount' }), ctx(profile(1000, 0, 50.35), hist));
  assert.equal(usual.passed, true);
});

test('a column missing from older runs: those runs do not count', async () => {
  const old = historyOf(ROWS.slice(0, 10), (r) => ({ rows: r, columns: [] }));
  const out = await anomaly.check(spec({ metric: 'distinct', column: 'amount' }), ctx(profile(1000), old));
  assert.equal(out.message, 'not evaluated: 0 of 5 runs');
});

test('mean/min/max of a non-numeric column, or of a column the dataset lacks, is a config error', async () => {
  await assert.rejects(anomaly.check(spec({ metric: 'max', column: 'email' }), ctx(profile(1000), historyOf(ROWS))),
    (err: Error) => err instanceof ConfigError && err.message === 'anomaly max(email): column email is VARCHAR; max is compared for numeric columns only (for how recent a date is, use a freshness rule)');
  await assert.rejects(anomaly.check(spec({ metric: 'null_ratio', column: 'nope' }), ctx(profile(1000), historyOf(ROWS))),
    (err: Error) => err instanceof ConfigError && err.message === 'anomaly null_ratio(nope): dataset sales has no column nope (columns: id, email, amount)');
});

test('schema: defaults, and column where a metric needs one', () => {
  assert.deepEqual(spec(), { rule: 'anomaly', dataset: 'sales', metric: 'row_count', severity: 'error', window: 14, threshold: 3, min_history: 5 });
  const messages = (v: unknown) => { const r = anomaly.schema.safeParse(v); return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`); };
  assert.deepEqual(messages({ rule: 'anomaly', dataset: 'sales', metric: 'mean' }), ['column: a column metric (null_ratio, distinct, mean, min, max) needs column']);
  assert.deepEqual(messages({ rule: 'anomaly', dataset: 'sales', metric: 'row_count', column: 'id' }), ['column: row_count is the dataset\'s, not a column\'s: remove column']);
  assert.deepEqual(messages({ rule: 'anomaly', dataset: 'sales', metric: 'row_count', window: 3 }), ['min_history: min_history cannot be more than window']);
  assert.equal(anomaly.label(spec({ metric: 'null_ratio', column: 'email' })), 'null_ratio(email)');
});
