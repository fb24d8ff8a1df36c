/**
 * Every rule kind against a real (in-process) DuckDB engine: a passing and a failing table each,
 * with the exact counts, message and samples; bad specs fail as CONFIG errors naming rule and field.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { TableEngine } from '../../../src/table/engine.js';
import { openEngine, table, outcome, checkFails } from './support.js';
import { qualitySchema } from '../../../src/quality/schema.js';

let engine: TableEngine;
let close: () => Promise<void>;
before(async () => ({ engine, close } = await openEngine()));
after(async () => close());

describe('not_null', () => {
  it('passes when no checked column has a NULL', async () => {
    await table(engine, 'nn_ok', 'id, name', "(1, 'a'), (2, 'b')");
    const o = await outcome(engine, { rule: 'not_null', dataset: 'nn_ok', columns: ['id', 'name'] });
    assert.deepEqual([o.name, o.status, o.checked, o.failed, o.message, o.samples], ['not_null:nn_ok.id,name', 'passed', 2, 0, '0 of 2 rows have NULL in id or name', undefined]);
  });
  it('counts a row once whichever of several columns is NULL; empty text is not NULL', async () => {
    await table(engine, 'nn', 'id, name', "(1, 'a'), (NULL, 'b'), (3, NULL), (NULL, NULL), (5, '')");
    const o = await outcome(engine, { rule: 'not_null', dataset: 'nn', columns: ['id', 'name'] });
    assert.equal(o.status, 'failed');
    assert.equal(o.message, '3 of 5 rows have NULL in id or name (60.00%; allowed none)');
    assert.deepEqual(o.samples, [
      { id: null, name: 'b', _reason: 'NULL in id' },
      { id: '3', name: null, _reason: 'NULL in name' },
      { id: null, name: null, _reason: 'NULL in id, name' },
    ]);
  });
});

describe('unique', () => {
  it('passes on distinct keys; NULL keys are not checked (SQL UNIQUE semantics)', async () => {
    await table(engine, 'u_ok', 'a, b', "(1, 'x'), (1, 'y'), (2, 'x'), (NULL, 'x'), (NULL, 'x')");
    const o = await outcome(engine, { rule: 'unique', dataset: 'u_ok', columns: ['a', 'b'] });
    assert.deepEqual([o.status, o.failed, o.message], ['passed', 0, '0 of 5 rows repeat a value of (a, b)']);
  });
  it('flags every row of a repeated combination', async () => {
    await table(engine, 'u', 'a, b', "(1, 'x'), (1, 'x'), (2, 'y'), (1, 'x'), (2, 'z')");
    const o = await outcome(engine, { rule: 'unique', dataset: 'u', columns: ['a', 'b'] }, { samples: 2 });
    assert.deepEqual([o.status, o.checked, o.failed], ['failed', 5, 3]);
    assert.equal(o.message, '3 of 5 rows repeat a value of (a, b) (60.00%; allowed none)');
    assert.deepEqual(o.samples, [{ a: '1', b: 'x', _reason: "(a, b) ('1', 'x') occurs 3 times" }, { a: '1', b: 'x', _reason: "(a, b) ('1', 'x') occurs 3 times" }]);
  });
  it('a value that occurs exactly twice flags both rows', async () => {
    await table(engine, 'u_pair', 'id', '(1), (2), (2), (3)');
    const o = await outcome(engine, { rule: 'unique', dataset: 'u_pair', columns: ['id'] });
    assert.deepEqual([o.status, o.failed, o.samples!.map((s) => s._reason)], ['failed', 2, ["id '2' occurs 2 times", "id '2' occurs 2 times"]]);
  });
});

describe('range', () => {
  it('numbers, inclusive bounds pass; NULL is not checked', async () => {
    await table(engine, 'r_ok', 'amount', '(0), (50), (100), (NULL)');
    const o = await outcome(engine, { rule: 'range', dataset: 'r_ok', column: 'amount', min: 0, max: 100 });
    assert.deepEqual([o.status, o.failed, o.message], ['passed', 0, '0 of 4 rows have amount outside [0, 100]']);
  });
  it('exclusive bounds fail at the bound itself', async () => {
    await table(engine, 'r', 'amount', '(0), (50), (100), (-1)');
    const o = await outcome(engine, { rule: 'range', dataset: 'r', column: 'amount', min: 0, max: 100, exclusive: true });
    assert.equal(o.message, '3 of 4 rows have amount outside (0, 100) (75.00%; allowed none)');
    assert.deepEqual(o.samples!.map((s) => s._reason), ["amount '0' is at or below 0", "amount '100' is at or above 100", "amount '-1' is at or below 0"]);
  });
  it('dates and timestamps given as text', async () => {
    await table(engine, 'r_d', 'day, ts', "(DATE '2024-01-01', TIMESTAMPTZ '2024-01-01 10:00:00+00'), (DATE '2023-12-31', TIMESTAMPTZ '2024-01-02 00:00:00+00')");
    const day = await outcome(engine, { rule: 'range', dataset: 'r_d', column: 'day', min: '2024-01-01' });
    assert.deepEqual([day.failed, day.message, day.samples![0]!._reason], [1, '1 of 2 rows have day below 2024-01-01 (50.00%; allowed none)', "day '2023-12-31' is below 2024-01-01"]);
    const ts = await outcome(engine, { rule: 'range', dataset: 'r_d', column: 'ts', max: '2024-01-01T23:59:59Z' });
    assert.deepEqual([ts.failed, ts.samples![0]!.ts], [1, '2024-01-02 00:00:00+00']);
  });
  it('a bound that is not of the column\'s kind, or a text column, is a config error', async () => {
    await table(engine, 'r_bad', 'day, name', "(DATE '2024-01-01', 'x')");
    const e = await checkFails(engine, { rule: 'range', dataset: 'r_bad', column: 'day', min: 'yesterday' });
    assert.deepEqual([e.code, e.context.field, e.message], ['CONFIG', 'min', 'quality rule range:r_bad.day: "yesterday" is not a DATE like the column']);
    const t = await checkFails(engine, { rule: 'range', dataset: 'r_bad', column: 'name', min: 0 });
    assert.match(t.message, /range needs a numeric, date or timestamp column; the column is VARCHAR/);
  });
  it('BIGINT beyond 2^53: a bound given as text is compared exactly, in the column\'s type', async () => {
    await table(engine, 'r_big', 'big', '(9007199254740995::BIGINT), (9007199254740996::BIGINT), (9007199254740997::BIGINT), (NULL)');
    const lo = await outcome(engine, { rule: 'range', dataset: 'r_big', column: 'big', min: '9007199254740996' });
    assert.deepEqual([lo.failed, lo.samples!.map((x) => x._reason)], [1, ["big '9007199254740995' is below 9007199254740996"]]);
    const hi = await outcome(engine, { rule: 'range', dataset: 'r_big', column: 'big', max: '9007199254740996', exclusive: true });
    assert.deepEqual([hi.failed, hi.samples!.map((x) => x.big)], [2, ['9007199254740996', '9007199254740997']]);
    // A bound the type cannot hold exactly is still compared as a number.
    const frac = await outcome(engine, { rule: 'range', dataset: 'r_big', column: 'big', max: '9007199254740995.5' });
    assert.equal(frac.failed, 2);
  });
  it('an integer written beyond 2^53 would be rounded by YAML: it must be quoted', () => {
    const r = qualitySchema.safeParse({ rules: [{ rule: 'range', dataset: 'x', column: 'big', min: Number('9007199254740995') }] });
    assert.equal(r.success, false);
    assert.deepEqual(r.error!.issues.map((i) => [i.path.join('.'), i.message]), [['rules.0.min', 'an integer beyond 2^53 is rounded when the YAML is read (this one became 9007199254740996): write it quoted, as text']]);
    assert.equal(qualitySchema.safeParse({ rules: [{ rule: 'range', dataset: 'x', column: 'big', min: 9007199254740991, max: 1.5e300 }] }).success, true);
  });
});

describe('pattern', () => {
  it('matches the whole value', async () => {
    await table(engine, 'p', 'code', "('AB-1'), ('AB-12'), ('xAB-1'), (NULL)");
    const o = await outcome(engine, { rule: 'pattern', dataset: 'p', column: 'code', regex: '[A-Z]{2}-[0-9]' });
    assert.deepEqual([o.failed, o.message], [2, '2 of 4 rows have code not matching [A-Z]{2}-[0-9] (50.00%; allowed none)']);
    assert.deepEqual(o.samples, [{ code: 'AB-12', _reason: "code 'AB-12' does not match [A-Z]{2}-[0-9]" }, { code: 'xAB-1', _reason: "code 'xAB-1' does not match [A-Z]{2}-[0-9]" }]);
    await table(engine, 'p_ok', 'code', "('AB-1'), ('CD-2')");
    assert.equal((await outcome(engine, { rule: 'pattern', dataset: 'p_ok', column: 'code', regex: '[A-Z]{2}-[0-9]' })).status, 'passed');
  });
  it('a bad regular expression is a config error naming the rule and field', async () => {
    const e = await checkFails(engine, { rule: 'pattern', dataset: 'p_ok', name: 'codes', column: 'code', regex: '([A-Z]' });
    assert.deepEqual([e.code, e.context.field], ['CONFIG', 'regex']);
    assert.match(e.message, /^quality rule codes: invalid regular expression "\(\[A-Z\]": missing \)/);
  });
});

describe('accepted_values', () => {
  it('compares typed: 1 and \'1\' both mean 1 in an INTEGER column', async () => {
    await table(engine, 'av', 'n, s', "(1, '1'), (2, '2'), (3, 'x')");
    const n = await outcome(engine, { rule: 'accepted_values', dataset: 'av', column: 'n', values: [1, '2'] });
    assert.deepEqual([n.failed, n.message, n.samples![0]!._reason], [1, '1 of 3 rows have n not in 1, "2" (33.33%; allowed none)', "n '3' is not one of 1, \"2\""]);
    // …and '1' in a text column.
    const s = await outcome(engine, { rule: 'accepted_values', dataset: 'av', column: 's', values: [1, 2, 'x'] });
    assert.deepEqual([s.status, s.failed], ['passed', 0]);
  });
  it('a value the column\'s type cannot hold exactly is a config error, not a silent mismatch', async () => {
    const e = await checkFails(engine, { rule: 'accepted_values', dataset: 'av', column: 'n', values: [1, 1.5] });
    assert.deepEqual([e.code, e.context.field, e.message], ['CONFIG', 'values[1]', 'quality rule accepted_values:av.n: 1.5 is not a value of the column\'s type INTEGER']);
    const x = await checkFails(engine, { rule: 'accepted_values', dataset: 'av', column: 'n', values: ['one'] });
    assert.equal(x.context.field, 'values[0]');
  });
  it('BIGINT beyond 2^53: a quoted value is exact; an unquoted one is refused (YAML rounds it)', async () => {
    await table(engine, 'av_big', 'big', '(9007199254740993::BIGINT), (9007199254740992::BIGINT)');
    const o = await outcome(engine, { rule: 'accepted_values', dataset: 'av_big', column: 'big', values: ['9007199254740993'] });
    assert.deepEqual([o.failed, o.samples!.map((x) => x.big)], [1, ['9007199254740992']]);
    const r = qualitySchema.safeParse({ rules: [{ rule: 'accepted_values', dataset: 'av_big', column: 'big', values: [1, Number('9007199254740993')] }] });
    assert.deepEqual(r.error?.issues.map((i) => i.path.join('.')), ['rules.0.values.1']);
  });
});

describe('type', () => {
  it('exact decimals: 12.345 is not a DECIMAL(12,2); 12.3 and 12.340 are', async () => {
    await table(engine, 'ty', 'v', "('12.34'), ('12.345'), ('12.3'), ('12.340'), ('abc'), (''), (NULL), ('1234567890.12'), ('12345678901.12')");
    const o = await outcome(engine, { rule: 'type', dataset: 'ty', column: 'v', type: 'decimal(12, 2)' });
    assert.deepEqual(o.samples!.map((s) => s.v), ['12.345', 'abc', '', '12345678901.12']);
    assert.equal(o.message, '4 of 9 rows have v that is not of type DECIMAL(12,2) (44.44%; allowed none)');
  });
  it('integers: bigint beyond 2^53 is exact; beyond BIGINT, fractions, exponents and empty text are not', async () => {
    await table(engine, 'ty_i', 'v', "('9007199254740993'), ('9223372036854775807'), ('9223372036854775808'), ('12.5'), ('12.0'), ('1e3'), (''), (' 7 ')");
    const o = await outcome(engine, { rule: 'type', dataset: 'ty_i', column: 'v', type: 'BIGINT' });
    assert.deepEqual(o.samples!.map((s) => s.v), ['9223372036854775808', '12.5', '1e3', '']);
    assert.equal(o.failed, 4);
  });
  it('typed columns are checked by their text form: a BIGINT value beyond INTEGER fails', async () => {
    await table(engine, 'ty_b', 'v', '(CAST(9007199254740993 AS BIGINT)), (CAST(5 AS BIGINT))');
    const o = await outcome(engine, { rule: 'type', dataset: 'ty_b', column: 'v', type: 'INTEGER' });
    assert.deepEqual([o.failed, o.samples], [1, [{ v: '9007199254740993', _reason: "v '9007199254740993' is not of type INTEGER" }]]);
    assert.equal((await outcome(engine, { rule: 'type', dataset: 'ty_b', column: 'v', type: 'BIGINT' })).status, 'passed');
  });
  it('dates: a date with a time of day is not a DATE', async () => {
    await table(engine, 'ty_d', 'v', "('2024-01-05'), ('2024-02-30'), ('2024-01-05 10:00')");
    const o = await outcome(engine, { rule: 'type', dataset: 'ty_d', column: 'v', type: 'DATE' });
    assert.deepEqual(o.samples!.map((s) => s.v), ['2024-02-30', '2024-01-05 10:00']);
  });
  it('timestamps: digits beyond the type\'s precision (they would be cut) are not exact; trailing zeros are', async () => {
    await table(engine, 'ty_ts', 'v', "('2024-01-05 10:00:00'), ('2024-01-05 10:00:00.123456'), ('2024-01-05 10:00:00.123456789'), ('2024-01-05 10:00:00.1234560'), ('2024-01-05 10:00:00.1234567+02'), ('2024-01-05 10:00:00.5+02')");
    const ts = await outcome(engine, { rule: 'type', dataset: 'ty_ts', column: 'v', type: 'TIMESTAMP' });
    assert.deepEqual(ts.samples!.map((s) => s.v), ['2024-01-05 10:00:00.123456789', '2024-01-05 10:00:00.1234567+02']);
    const tz = await outcome(engine, { rule: 'type', dataset: 'ty_ts', column: 'v', type: 'TIMESTAMPTZ' });
    assert.deepEqual(tz.samples!.map((s) => s.v), ['2024-01-05 10:00:00.123456789', '2024-01-05 10:00:00.1234567+02']);
    const ms = await outcome(engine, { rule: 'type', dataset: 'ty_ts', column: 'v', type: 'TIMESTAMP_MS' });
    assert.equal(ms.failed, 4);
  });
  it('an unknown type is a config error', async () => {
    const e = await checkFails(engine, { rule: 'type', dataset: 'ty_d', column: 'v', type: 'INTEGR' });
    assert.deepEqual([e.code, e.context.field], ['CONFIG', 'type']);
    assert.match(e.message, /^quality rule type:ty_d.v: unknown type 'INTEGR'/);
    const inj = await checkFails(engine, { rule: 'type', dataset: 'ty_d', column: 'v', type: 'INTEGER); DROP TABLE ty_d; --' });
    assert.match(inj.message, /is not a type name/);
  });
});

describe('max_length', () => {
  it('counts characters, not bytes', async () => {
    await table(engine, 'ml', 'name', "('Zoë'), ('Anna'), ('Bartholomew'), (NULL)");
    const o = await outcome(engine, { rule: 'max_length', dataset: 'ml', column: 'name', max: 4 });
    assert.deepEqual([o.failed, o.message, o.samples], [1, '1 of 4 rows have name longer than 4 characters (25.00%; allowed none)', [{ name: 'Bartholomew', _reason: 'name has 11 characters (at most 4)' }]]);
    assert.equal((await outcome(engine, { rule: 'max_length', dataset: 'ml', column: 'name', max: 11 })).status, 'passed');
  });
});

describe('row_count', () => {
  it('min and max', async () => {
    await table(engine, 'rc', 'a', '(1), (2), (3)');
    const ok = await outcome(engine, { rule: 'row_count', dataset: 'rc', min: 1, max: 3 });
    assert.deepEqual([ok.kind, ok.status, ok.value, ok.expected, ok.message], ['table', 'passed', 3, 'between 1 and 3', '3 rows (expected between 1 and 3)']);
    // Both bounds are inclusive: exactly min rows pass, one fewer fails.
    assert.equal((await outcome(engine, { rule: 'row_count', dataset: 'rc', min: 3 })).status, 'passed');
    assert.equal((await outcome(engine, { rule: 'row_count', dataset: 'rc', min: 4 })).status, 'failed');
    const low = await outcome(engine, { rule: 'row_count', dataset: 'rc', min: 1000 });
    assert.deepEqual([low.status, low.message], ['failed', '3 rows (expected at least 1,000)']);
  });
});

describe('freshness', () => {
  it('the newest value against the run time minus max_age', async () => {
    await table(engine, 'fr', 'ts', "(TIMESTAMPTZ '2024-01-09 10:00:00+00'), (TIMESTAMPTZ '2024-01-08 00:00:00+00'), (NULL)");
    // run time 2024-01-10 12:00, newest 2024-01-09 10:00: 26 h old.
    const ok = await outcome(engine, { rule: 'freshness', dataset: 'fr', column: 'ts', max_age: '26h' });
    assert.deepEqual([ok.status, ok.value, ok.message], ['passed', 26 * 3600, 'newest ts is 2024-01-09T10:00:00Z, 26h 0m before the run time 2024-01-10T12:00:00Z (allowed 26h)']);
    const stale = await outcome(engine, { rule: 'freshness', dataset: 'fr', column: 'ts', max_age: '1d' });
    assert.deepEqual([stale.status, stale.value, stale.expected], ['failed', 26 * 3600, 'newest ts at most 1d before the run time 2024-01-10T12:00:00Z']);
  });
  it('a column of NULLs only fails with a clear message', async () => {
    await table(engine, 'fr_null', 'day', '(CAST(NULL AS DATE)), (CAST(NULL AS DATE))');
    const o = await outcome(engine, { rule: 'freshness', dataset: 'fr_null', column: 'day', max_age: '1d' });
    assert.deepEqual([o.status, o.message], ['failed', 'no value: all 2 rows have NULL in day']);
  });
});

describe('referential', () => {
  it('keys with no NULL must exist in the other dataset (several columns)', async () => {
    await table(engine, 'customers', 'region, id', "('eu', 1), ('eu', 2), ('us', 1)");
    await table(engine, 'orders', 'o, region, cust', "(10, 'eu', 1), (11, 'us', 2), (12, NULL, 9), (13, 'us', 1), (14, 'eu', 3)");
    const o = await outcome(engine, { rule: 'referential', dataset: 'orders', columns: ['region', 'cust'], references: { dataset: 'customers', columns: ['region', 'id'] } });
    assert.equal(o.message, '2 of 5 rows have (region, cust) not in customers.(region, id) (40.00%; allowed none)');
    assert.deepEqual(o.samples!.map((s) => [s.o, s._reason]), [['11', "(region, cust) ('us', '2') is not in customers.(region, id)"], ['14', "(region, cust) ('eu', '3') is not in customers.(region, id)"]]);
    await table(engine, 'orders_ok', 'region, cust', "('eu', 2), (NULL, 7)");
    assert.equal((await outcome(engine, { rule: 'referential', dataset: 'orders_ok', columns: ['region', 'cust'], references: { dataset: 'customers', columns: ['region', 'id'] } })).status, 'passed');
  });
  it('an unknown dataset or column is a config error', async () => {
    const e = await checkFails(engine, { rule: 'referential', dataset: 'orders', columns: ['cust'], references: { dataset: 'nobody', columns: ['id'] } });
    assert.deepEqual([e.code, e.context.field, e.message], ['CONFIG', 'references.dataset', "quality rule referential:orders.cust: unknown dataset 'nobody'"]);
    const c = await checkFails(engine, { rule: 'referential', dataset: 'orders', columns: ['customer'], references: { dataset: 'customers', columns: ['id'] } });
    assert.deepEqual([c.context.field, c.message], ['columns', "quality rule referential:orders.customer: unknown column 'customer' in orders; it has: o, region, cust"]);
  });
});

describe('sql', () => {
  it('the rows the query returns are the violating rows, matched on every returned column (NULL = NULL)', async () => {
    await table(engine, 'sq', 'id, a, b', '(1, 5, NULL), (2, 3, 4), (3, 5, NULL), (4, 1, 1)');
    const o = await outcome(engine, { rule: 'sql', dataset: 'sq', description: 'a above b or b missing', query: 'SELECT a, b FROM sq WHERE b IS NULL OR a > b' });
    assert.deepEqual([o.failed, o.message], [2, '2 of 4 rows are returned by the query (50.00%; allowed none)']);
    assert.deepEqual(o.samples!.map((s) => [s.id, s._reason]), [['1', 'a above b or b missing'], ['3', 'a above b or b missing']]);
    assert.equal((await outcome(engine, { rule: 'sql', dataset: 'sq', query: 'SELECT * FROM sq WHERE a > 100' })).status, 'passed');
  });
  it('a query returning rows that are not rows of the dataset is a clear error', async () => {
    const e = await checkFails(engine, { rule: 'sql', dataset: 'sq', name: 'sums', query: 'SELECT sum(a) AS a FROM sq' });
    assert.deepEqual([e.code, e.context.field, e.message], ['CONFIG', 'query', 'quality rule sums: the query returned 1 row that are not rows of sq (compared on a): it must return rows of the dataset, e.g. SELECT * FROM sq WHERE …']);
    const col = await checkFails(engine, { rule: 'sql', dataset: 'sq', query: 'SELECT a AS z FROM sq' });
    assert.match(col.message, /unknown column 'z' in sq; it has: id, a, b/);
    const bad = await checkFails(engine, { rule: 'sql', dataset: 'sq', query: 'SELECT nope FROM sq' });
    assert.deepEqual([bad.code, bad.context.field], ['CONFIG', 'query']);
  });
});

describe('bad specs', () => {
  it('an unknown column names the rule, the field and the real columns', async () => {
    await table(engine, 'bs', 'id', '(1)');
    const e = await checkFails(engine, { rule: 'not_null', dataset: 'bs', columns: ['id', 'idd'] });
    assert.deepEqual([e.code, e.context.dataset, e.context.field, e.message], ['CONFIG', 'bs', 'columns', "quality rule not_null:bs.id,idd: unknown column 'idd' in bs; it has: id"]);
  });
  it('an unknown dataset', async () => {
    const e = await checkFails(engine, { rule: 'row_count', dataset: 'ghost', min: 1 });
    assert.deepEqual([e.code, e.message], ['CONFIG', "quality rule row_count:ghost.rows: unknown dataset 'ghost'"]);
  });
  it('a rule whose check throws fails naming the rule', async () => {
    await table(engine, 'an', 'id', "('a')");
    try {
      await outcome(engine, { rule: 'anomaly', dataset: 'an', metric: 'mean', column: 'id' });
      assert.fail('expected an error');
    } catch (err) {
      assert.match((err as Error).message, /^quality rule anomaly:an.mean\(id\): /);
    }
  });
});
