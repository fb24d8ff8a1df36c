/**
 * Every declarative step against a real (in-process) DuckDB table engine: specs are parsed by
 * `stepSchema` so defaults apply, run by `applySteps`, and checked row by row.
 */
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TableEngine } from '../../../src/table/engine.js';
import { applySteps, stepSchema, stepOf, STEPS } from '../../../src/table/steps/index.js';
import { FerryError } from '../../../src/errors.js';
import { useStepEngine } from '../../support/step-engine.js';

const s = useStepEngine('ferry-steps-test-');
const { table, step, stepFails, rows, types } = s;

const day = (iso: string): Date => new Date(`${iso}T00:00:00.000Z`);

describe('registry', () => {
  it('every step type has a schema and is found by stepOf', () => {
    assert.deepEqual(Object.keys(STEPS), ['select', 'rename', 'cast', 'derive', 'filter', 'map_values', 'join', 'union', 'dates', 'fill', 'dedupe', 'outliers', 'sql', 'pii']);
    const spec = stepSchema.parse({ type: 'join', left: 'a', right: 'b', on: ['id'] });
    assert.equal(stepOf(spec), STEPS.join);
    assert.deepEqual(stepOf(spec).reads(spec), ['a', 'b']);
    assert.equal(stepOf(spec).writes(spec), 'a');
  });

  it('onStep is told the index and outputs of each step', async () => {
    await table('cb', 'a', '(1), (2)');
    const seen: [number, string][] = [];
    await applySteps(s.engine, 'preprocess', [
      stepSchema.parse({ type: 'filter', input: 'cb', where: 'a > 1' }),
      stepSchema.parse({ type: 'select', input: 'cb', output: 'cb2', columns: ['a'] }),
    ], (i, [out]) => seen.push([i, out!]));
    assert.deepEqual(seen, [[0, 'cb'], [1, 'cb2']]);
    assert.deepEqual(await rows('SELECT * FROM cb2'), [{ a: 2 }]);
  });
});

describe('select', () => {
  before(() => table('sel', 'a, b, c', "(1, 'x', true), (2, 'y', false)"));

  it('keeps the listed columns in the listed order', async () => {
    await step({ type: 'select', input: 'sel', output: 'sel_out', columns: ['c', 'a'] });
    assert.deepEqual(await rows('SELECT * FROM sel_out ORDER BY a'), [{ c: true, a: 1 }, { c: false, a: 2 }]);
    assert.deepEqual(await types('sel'), ['a INTEGER', 'b VARCHAR', 'c BOOLEAN']);
  });

  it('without output replaces the input in place', async () => {
    await table('sel2', 'a, b', "(1, 'x')");
    await step({ type: 'select', input: 'sel2', columns: ['b'] });
    assert.deepEqual(await rows('SELECT * FROM sel2'), [{ b: 'x' }]);
  });

  it('an unknown column is a CONFIG error listing the real columns', async () => {
    const err = await stepFails({ type: 'select', input: 'sel', columns: ['a', 'zz', 'yy'] });
    assert.equal(err.code, 'CONFIG');
    assert.equal(err.message, "unknown columns 'zz', 'yy' in sel; it has: a, b, c");
    assert.deepEqual(err.context, { stage: 'standardize', field: 'columns', dataset: 'sel' });
  });
});

describe('rename', () => {
  it('renames the mapped columns and keeps the others in place', async () => {
    await table('ren', 'id, name, cur', "(1, 'a', 'EUR'), (2, 'b', NULL)");
    await step({ type: 'rename', input: 'ren', columns: { name: 'customer_name', cur: 'currency' } });
    assert.deepEqual(await rows('SELECT * FROM ren ORDER BY id'), [
      { id: 1, customer_name: 'a', currency: 'EUR' },
      { id: 2, customer_name: 'b', currency: null },
    ]);
  });

  it('an unknown column is a CONFIG error', async () => {
    await table('ren2', 'id', '(1)');
    const err = await stepFails({ type: 'rename', input: 'ren2', columns: { nope: 'x' } });
    assert.equal(err.code, 'CONFIG');
    assert.equal(err.message, "unknown column 'nope' in ren2; it has: id");
  });
});

describe('cast', () => {
  before(() => table('cst', 'id, amount, qty', "(1, '1.5', '3'), (2, 'abc', ' 4 '), (3, NULL, '5')"));

  it('on_error null: values that do not convert become NULL', async () => {
    await step({ type: 'cast', input: 'cst', output: 'cst_null', columns: { amount: 'DOUBLE', qty: 'INTEGER' }, on_error: 'null' });
    assert.deepEqual(await types('cst_null'), ['id INTEGER', 'amount DOUBLE', 'qty INTEGER']);
    assert.deepEqual(await rows('SELECT * FROM cst_null ORDER BY id'), [
      { id: 1, amount: 1.5, qty: 3 },
      { id: 2, amount: null, qty: 4 },
      { id: 3, amount: null, qty: 5 },
    ]);
  });

  it('to DECIMAL: the value comes back as a number', async () => {
    await step({ type: 'cast', input: 'cst', output: 'cst_dec', columns: { amount: 'DECIMAL(10,2)' }, on_error: 'null' });
    assert.deepEqual(await types('cst_dec'), ['id INTEGER', 'amount DECIMAL(10,2)', 'qty VARCHAR']);
    assert.deepEqual(await rows('SELECT id, amount FROM cst_dec ORDER BY id'), [{ id: 1, amount: 1.5 }, { id: 2, amount: null }, { id: 3, amount: null }]);
  });

  it('on_error fail (the default): a DATA error naming the value and column', async () => {
    const err = await stepFails({ type: 'cast', input: 'cst', output: 'cst_fail', columns: { amount: 'DOUBLE' } });
    assert.equal(err.code, 'DATA');
    assert.equal(err.retryable, false);
    assert.equal(err.message, "Conversion Error: Could not convert string 'abc' to DOUBLE when casting from source column amount");
    assert.deepEqual(err.context, { stage: 'standardize', field: 'standardize[0] (cast)', dataset: 'cst_fail' });
    assert.equal(await s.engine.exists('cst_fail'), false);
  });
});

describe('derive', () => {
  before(() => table('der', 'id, price, qty', '(1, 2.5, 4), (2, 10.0, NULL)'));

  it('appends new columns and replaces existing ones in place', async () => {
    await step({ type: 'derive', input: 'der', output: 'der_out', columns: { qty: 'coalesce(qty, 1)', total: 'price * coalesce(qty, 1)', label: "'item ' || id" } });
    assert.deepEqual((await types('der_out')).map((t) => t.split(' ')[0]), ['id', 'price', 'qty', 'total', 'label']);
    assert.deepEqual(await rows('SELECT * FROM der_out ORDER BY id'), [
      { id: 1, price: 2.5, qty: 4, total: 10, label: 'item 1' },
      { id: 2, price: 10, qty: 1, total: 10, label: 'item 2' },
    ]);
  });

  it('a bad expression is a CONFIG error with the DuckDB message', async () => {
    const err = await stepFails({ type: 'derive', input: 'der', output: 'der_bad', columns: { x: 'nosuch + 1' } });
    assert.equal(err.code, 'CONFIG');
    assert.match(err.message, /^Binder Error: Referenced column "nosuch" not found/);
    assert.deepEqual(err.context, { stage: 'standardize', field: 'steps[0]', dataset: 'der_bad' });
  });
});

describe('filter', () => {
  it('keeps the rows where the condition is true (NULL is dropped)', async () => {
    await table('flt', 'id, status', "(1, 'paid'), (2, 'cancelled'), (3, NULL), (4, 'paid')");
    await step({ type: 'filter', input: 'flt', where: "status <> 'cancelled'" }, 'preprocess');
    assert.deepEqual(await rows('SELECT * FROM flt ORDER BY id'), [{ id: 1, status: 'paid' }, { id: 4, status: 'paid' }]);
  });

  it('an unknown column is a CONFIG error', async () => {
    await table('flt2', 'id', '(1)');
    const err = await stepFails({ type: 'filter', input: 'flt2', output: 'flt2_out', where: 'nocol > 1' }, 'preprocess');
    assert.equal(err.code, 'CONFIG');
    assert.equal(err.message, 'Binder Error: Referenced column "nocol" not found in FROM clause!');
    assert.deepEqual(err.context, { stage: 'preprocess', field: 'steps[0]', dataset: 'flt2_out' });
  });
});

describe('map_values', () => {
  before(() => table('mv', 'id, cur', "(1, 'EUR'), (2, '$'), (3, '€'), (4, NULL), (5, 'GBP')"));

  it('without default: unmapped values (and NULL) are kept', async () => {
    await step({ type: 'map_values', input: 'mv', output: 'mv1', column: 'cur', mapping: { '€': 'EUR', '$': 'USD' } });
    assert.deepEqual(await rows('SELECT * FROM mv1 ORDER BY id'), [
      { id: 1, cur: 'EUR' }, { id: 2, cur: 'USD' }, { id: 3, cur: 'EUR' }, { id: 4, cur: null }, { id: 5, cur: 'GBP' },
    ]);
  });

  it('with default: unmapped values (and NULL) become the default', async () => {
    await step({ type: 'map_values', input: 'mv', output: 'mv2', column: 'cur', mapping: { '€': 'EUR', '$': 'USD', EUR: 'EUR' }, default: 'OTHER' });
    assert.deepEqual(await rows('SELECT * FROM mv2 ORDER BY id'), [
      { id: 1, cur: 'EUR' }, { id: 2, cur: 'USD' }, { id: 3, cur: 'EUR' }, { id: 4, cur: 'OTHER' }, { id: 5, cur: 'OTHER' },
    ]);
  });

  it('maps to null and to numbers', async () => {
    await step({ type: 'map_values', input: 'mv', output: 'mv3', column: 'cur', mapping: { '€': 1, '$': 2, EUR: 1 }, default: null });
    assert.deepEqual(await rows('SELECT * FROM mv3 ORDER BY id'), [
      { id: 1, cur: 1 }, { id: 2, cur: 2 }, { id: 3, cur: 1 }, { id: 4, cur: null }, { id: 5, cur: null },
    ]);
  });

  it('maps the codes of an INTEGER column to labels, keeping unmapped codes', async () => {
    await table('mvi', 'code', '(1), (2)');
    await step({ type: 'map_values', input: 'mvi', column: 'code', mapping: { 1: 'one' } });
    assert.deepEqual(await rows('SELECT code::VARCHAR AS code FROM mvi ORDER BY 1'), [{ code: '2' }, { code: 'one' }]);
  });
});

describe('join', () => {
  before(async () => {
    await table('jl', 'id, name, v', "(1, 'a', 10), (2, 'b', 20), (3, 'c', 30)");
    await table('jr', 'rid, name, extra', "(1, 'A', 'x'), (3, 'C', 'y'), (4, 'D', 'z')");
  });

  const on = { id: 'rid' };
  const ROWS = {
    1: { id: 1, name: 'a', v: 10, jr_name: 'A', extra: 'x' },
    2: { id: 2, name: 'b', v: 20, jr_name: null, extra: null },
    3: { id: 3, name: 'c', v: 30, jr_name: 'C', extra: 'y' },
    4: { id: 4, name: null, v: null, jr_name: 'D', extra: 'z' },
  };
  const CASES = [
    ['inner', [ROWS[1], ROWS[3]]],
    ['left', [ROWS[1], ROWS[2], ROWS[3]]],
    ['right', [ROWS[1], ROWS[3], ROWS[4]]],
    ['full', [ROWS[1], ROWS[2], ROWS[3], ROWS[4]]],
  ] as const;

  for (const [how, expected] of CASES) {
    it(`${how} join maps key names (id = rid) and prefixes the colliding right column`, async () => {
      await step({ type: 'join', left: 'jl', right: 'jr', on, how, output: `j_${how}` });
      assert.deepEqual((await types(`j_${how}`)).map((t) => t.split(' ')[0]), ['id', 'name', 'v', 'jr_name', 'extra']);
      assert.deepEqual(await rows(`SELECT * FROM j_${how} ORDER BY id`), expected);
    });
  }

  it('inner is the default; the output defaults to the left dataset; list keys', async () => {
    await table('jl2', 'k, a', "(1, 'x'), (2, 'y')");
    await table('jr2', 'k, b', "(2, 'B'), (3, 'C')");
    await step({ type: 'join', left: 'jl2', right: 'jr2', on: ['k'] });
    assert.deepEqual(await rows('SELECT * FROM jl2 ORDER BY k'), [{ k: 2, a: 'y', b: 'B' }]);
  });

  it('a key missing on one side is a CONFIG error', async () => {
    const err = await stepFails({ type: 'join', left: 'jl', right: 'jr', on: ['id'] });
    assert.equal(err.code, 'CONFIG');
    assert.equal(err.message, "unknown column 'id' in jr; it has: rid, name, extra");
    assert.deepEqual(err.context, { stage: 'standardize', field: 'on', dataset: 'jr' });
  });
});

describe('union', () => {
  before(async () => {
    await table('u1', 'id, x', "(1, 'a'), (2, 'b')");
    await table('u2', 'x, id, y', "('b', 2, NULL), ('c', 3, 9)");
  });

  it('matches columns by name; a column missing from one input is NULL there; duplicates kept', async () => {
    await step({ type: 'union', inputs: ['u1', 'u2'], output: 'u_all' });
    assert.deepEqual((await types('u_all')).map((t) => t.split(' ')[0]), ['id', 'x', 'y']);
    assert.deepEqual(await rows('SELECT * FROM u_all ORDER BY id, y NULLS FIRST'), [
      { id: 1, x: 'a', y: null }, { id: 2, x: 'b', y: null }, { id: 2, x: 'b', y: null }, { id: 3, x: 'c', y: 9 },
    ]);
  });

  it('distinct: true drops duplicate rows', async () => {
    await step({ type: 'union', inputs: ['u1', 'u2'], output: 'u_distinct', distinct: true });
    assert.deepEqual(await rows('SELECT * FROM u_distinct ORDER BY id'), [
      { id: 1, x: 'a', y: null }, { id: 2, x: 'b', y: null }, { id: 3, x: 'c', y: 9 },
    ]);
  });
});

describe('dates', () => {
  const formats = ['%Y-%m-%d', '%d/%m/%Y', '%b %d %Y'];
  before(async () => {
    await table('dt', 'id, sale_date, note', "(1, '2024-01-05', 'iso'), (2, '05/02/2024', 'dmy'), (3, 'Mar 07 2024', 'mon'), (4, NULL, 'null'), (5, ' 2024-12-31 ', 'spaces')");
    await table('dt_bad', 'id, sale_date', "(1, '2024-01-05'), (2, NULL), (3, '2024-13-45'), (4, 'garbage')");
  });

  it('parses several formats into DATE (tried in order; NULL stays NULL)', async () => {
    await step({ type: 'dates', input: 'dt', output: 'dt_out', columns: ['sale_date'], formats });
    assert.deepEqual(await types('dt_out'), ['id INTEGER', 'sale_date DATE', 'note VARCHAR']);
    assert.deepEqual(await rows('SELECT * FROM dt_out ORDER BY id'), [
      { id: 1, sale_date: day('2024-01-05'), note: 'iso' },
      { id: 2, sale_date: day('2024-02-05'), note: 'dmy' },
      { id: 3, sale_date: day('2024-03-07'), note: 'mon' },
      { id: 4, sale_date: null, note: 'null' },
      { id: 5, sale_date: day('2024-12-31'), note: 'spaces' },
    ]);
  });

  it('to: timestamp', async () => {
    await table('dts', 'id, ts', "(1, '2024-01-05 13:45:10'), (2, '2024-01-06')");
    await step({ type: 'dates', input: 'dts', columns: ['ts'], formats: ['%Y-%m-%d %H:%M:%S', '%Y-%m-%d'], to: 'timestamp' });
    assert.deepEqual(await types('dts'), ['id INTEGER', 'ts TIMESTAMP']);
    assert.deepEqual(await rows('SELECT * FROM dts ORDER BY id'), [
      { id: 1, ts: new Date('2024-01-05T13:45:10.000Z') },
      { id: 2, ts: new Date('2024-01-06T00:00:00.000Z') },
    ]);
  });

  it('a value matching no format is a DATA error naming the value, row and formats; field is the column', async () => {
    const err = await stepFails({ type: 'dates', input: 'dt_bad', output: 'dt_bad_out', columns: ['sale_date'], formats });
    assert.equal(err.code, 'DATA');
    assert.equal(err.message, "value '2024-13-45' in row 3 matches none of the formats %Y-%m-%d, %d/%m/%Y, %b %d %Y");
    assert.deepEqual(err.context, { stage: 'standardize', dataset: 'dt_bad', field: 'sale_date' });
    assert.equal(err.describe(), "stage standardize, dataset dt_bad, field sale_date: value '2024-13-45' in row 3 matches none of the formats %Y-%m-%d, %d/%m/%Y, %b %d %Y");
    assert.equal(await s.engine.exists('dt_bad_out'), false);
  });

  it('on_error null: values matching no format become NULL', async () => {
    await step({ type: 'dates', input: 'dt_bad', output: 'dt_null', columns: ['sale_date'], formats, on_error: 'null' });
    assert.deepEqual(await rows('SELECT * FROM dt_null ORDER BY id'), [
      { id: 1, sale_date: day('2024-01-05') }, { id: 2, sale_date: null }, { id: 3, sale_date: null }, { id: 4, sale_date: null },
    ]);
  });
});

describe('fill', () => {
  before(() => table('fl', 'id, cur, amt, q', "(1, 'EUR', 10.0, 3), (2, '$', NULL, NULL), (3, NULL, 30.0, 3), (4, NULL, 20.0, 7), (5, 'GBP', NULL, NULL)"));

  it('constant, median and mode, keeping the column types', async () => {
    await step({ type: 'fill', input: 'fl', output: 'fl1', columns: { cur: 'XXX', amt: { strategy: 'median' }, q: { strategy: 'mode' } } }, 'preprocess');
    assert.deepEqual(await types('fl1'), await types('fl'));
    assert.deepEqual(await rows('SELECT * FROM fl1 ORDER BY id'), [
      { id: 1, cur: 'EUR', amt: 10, q: 3 },
      { id: 2, cur: '$', amt: 20, q: 3 },
      { id: 3, cur: 'XXX', amt: 30, q: 3 },
      { id: 4, cur: 'XXX', amt: 20, q: 7 },
      { id: 5, cur: 'GBP', amt: 20, q: 3 },
    ]);
  });

  it('mean, min and max (cast back to the column type)', async () => {
    await step({ type: 'fill', input: 'fl', output: 'fl2', columns: { amt: { strategy: 'max' }, q: { strategy: 'mean' } } }, 'preprocess');
    assert.deepEqual(await rows('SELECT id, amt, q FROM fl2 ORDER BY id'), [
      { id: 1, amt: 10, q: 3 }, { id: 2, amt: 30, q: 4 }, { id: 3, amt: 30, q: 3 }, { id: 4, amt: 20, q: 7 }, { id: 5, amt: 30, q: 4 },
    ]);
    await step({ type: 'fill', input: 'fl', output: 'fl3', columns: { amt: { strategy: 'min' }, q: 0 } }, 'preprocess');
    assert.deepEqual(await rows('SELECT id, amt, q FROM fl3 ORDER BY id'), [
      { id: 1, amt: 10, q: 3 }, { id: 2, amt: 10, q: 0 }, { id: 3, amt: 30, q: 3 }, { id: 4, amt: 20, q: 7 }, { id: 5, amt: 10, q: 0 },
    ]);
  });

  it('a constant that does not fit the column type is a DATA error', async () => {
    const err = await stepFails({ type: 'fill', input: 'fl', output: 'fl4', columns: { q: 'lots' } }, 'preprocess');
    assert.equal(err.code, 'DATA');
    assert.match(err.message, /^Conversion Error: Could not convert string 'lots' to INT32/);
  });
});

describe('dedupe', () => {
  before(() => table('dd', 'k, v, ts', "(3, 'c1', 1), (1, 'a1', 5), (3, 'c2', 9), (2, 'b1', 2), (1, 'a2', 7), (2, 'b1', 2)"));

  it('with keys: keeps the row that sorts first by all columns, output sorted by the keys', async () => {
    await step({ type: 'dedupe', input: 'dd', output: 'dd1', keys: ['k'] }, 'preprocess');
    assert.deepEqual(await types('dd1'), ['k INTEGER', 'v VARCHAR', 'ts INTEGER']);
    assert.deepEqual(await rows('SELECT * FROM dd1'), [{ k: 1, v: 'a1', ts: 5 }, { k: 2, v: 'b1', ts: 2 }, { k: 3, v: 'c1', ts: 1 }]);
  });

  it('with order_by: keeps the first row per key in that order', async () => {
    await step({ type: 'dedupe', input: 'dd', output: 'dd2', keys: ['k'], order_by: 'ts DESC' }, 'preprocess');
    assert.deepEqual(await rows('SELECT * FROM dd2'), [{ k: 1, v: 'a2', ts: 7 }, { k: 2, v: 'b1', ts: 2 }, { k: 3, v: 'c2', ts: 9 }]);
  });

  it('with several keys', async () => {
    await step({ type: 'dedupe', input: 'dd', output: 'dd4', keys: ['k', 'v'] }, 'preprocess');
    assert.deepEqual(await rows('SELECT * FROM dd4'), [
      { k: 1, v: 'a1', ts: 5 }, { k: 1, v: 'a2', ts: 7 }, { k: 2, v: 'b1', ts: 2 }, { k: 3, v: 'c1', ts: 1 }, { k: 3, v: 'c2', ts: 9 },
    ]);
  });

  it('without keys: drops rows identical in every column', async () => {
    await step({ type: 'dedupe', input: 'dd', output: 'dd3' }, 'preprocess');
    assert.deepEqual(await rows('SELECT * FROM dd3'), [
      { k: 1, v: 'a1', ts: 5 }, { k: 1, v: 'a2', ts: 7 }, { k: 2, v: 'b1', ts: 2 }, { k: 3, v: 'c1', ts: 1 }, { k: 3, v: 'c2', ts: 9 },
    ]);
  });

  it('an unknown key is a CONFIG error', async () => {
    const err = await stepFails({ type: 'dedupe', input: 'dd', keys: ['id'] }, 'preprocess');
    assert.equal(err.code, 'CONFIG');
    assert.equal(err.message, "unknown column 'id' in dd; it has: k, v, ts");
    assert.deepEqual(err.context, { stage: 'preprocess', field: 'keys', dataset: 'dd' });
  });
});

describe('outliers', () => {
  // IQR: non-null values -50, 10, 11, 12, 13, 100 → q1 10.25, q3 12.75, bounds 6.5 .. 16.5 (factor 1.5).
  before(async () => {
    await table('ol', 'id, x', '(1, 10.0::DOUBLE), (2, 11.0), (3, 12.0), (4, 13.0), (5, 100.0), (6, NULL), (7, -50.0)');
    // z-score: 0, 2, 11, 12, 40 → mean 13, sample stddev 16 → bounds -11 .. 37 (factor 1.5).
    await table('oz', 'id, x', '(1, 0.0::DOUBLE), (2, 2.0), (3, 11.0), (4, 12.0), (5, 40.0), (6, NULL)');
  });

  const KEPT = [{ id: 1, x: 10 }, { id: 2, x: 11 }, { id: 3, x: 12 }, { id: 4, x: 13 }, { id: 6, x: null }];
  const REJECTED = [{ id: 5, x: 100 }, { id: 7, x: -50 }];

  it('iqr drop (the defaults) with a rejects dataset; NULL is kept', async () => {
    await step({ type: 'outliers', input: 'ol', output: 'ol_drop', column: 'x', rejects: 'ol_rejects' }, 'preprocess');
    assert.deepEqual(await rows('SELECT * FROM ol_drop ORDER BY id'), KEPT);
    assert.deepEqual(await rows('SELECT * FROM ol_rejects ORDER BY id'), REJECTED);
  });

  it('iqr clip clamps to the bounds', async () => {
    await step({ type: 'outliers', input: 'ol', output: 'ol_clip', column: 'x', method: 'iqr', action: 'clip', rejects: 'ol_clip_rejects' }, 'preprocess');
    assert.deepEqual(await rows('SELECT * FROM ol_clip WHERE id <> 6 ORDER BY id'), [
      { id: 1, x: 10 }, { id: 2, x: 11 }, { id: 3, x: 12 }, { id: 4, x: 13 }, { id: 5, x: 16.5 }, { id: 7, x: 6.5 },
    ]);
    assert.deepEqual(await rows('SELECT * FROM ol_clip_rejects ORDER BY id'), REJECTED);
  });

  it('clip leaves NULL values NULL', async () => {
    await step({ type: 'outliers', input: 'ol', output: 'ol_clip_null', column: 'x', action: 'clip' }, 'preprocess');
    assert.deepEqual(await rows('SELECT * FROM ol_clip_null WHERE id = 6'), [{ id: 6, x: null }]);
  });

  it('iqr flag adds <column>_outlier (false for NULL)', async () => {
    await step({ type: 'outliers', input: 'ol', output: 'ol_flag', column: 'x', action: 'flag', factor: 1.5 }, 'preprocess');
    assert.deepEqual(await rows('SELECT * FROM ol_flag ORDER BY id'), [
      { id: 1, x: 10, x_outlier: false }, { id: 2, x: 11, x_outlier: false }, { id: 3, x: 12, x_outlier: false }, { id: 4, x: 13, x_outlier: false },
      { id: 5, x: 100, x_outlier: true }, { id: 6, x: null, x_outlier: false }, { id: 7, x: -50, x_outlier: true },
    ]);
  });

  it('iqr with a larger factor keeps more rows', async () => {
    // factor 40: bounds 10.25 - 100 = -89.75 .. 12.75 + 100 = 112.75: nothing is an outlier.
    await step({ type: 'outliers', input: 'ol', output: 'ol_wide', column: 'x', factor: 40, rejects: 'ol_wide_rejects' }, 'preprocess');
    assert.equal(await s.engine.count('ol_wide'), 7);
    assert.equal(await s.engine.count('ol_wide_rejects'), 0);
  });

  it('zscore drop / clip / flag', async () => {
    await step({ type: 'outliers', input: 'oz', output: 'oz_drop', column: 'x', method: 'zscore', factor: 1.5, rejects: 'oz_rejects' }, 'preprocess');
    assert.deepEqual(await rows('SELECT * FROM oz_drop ORDER BY id'), [{ id: 1, x: 0 }, { id: 2, x: 2 }, { id: 3, x: 11 }, { id: 4, x: 12 }, { id: 6, x: null }]);
    assert.deepEqual(await rows('SELECT * FROM oz_rejects ORDER BY id'), [{ id: 5, x: 40 }]);

    await step({ type: 'outliers', input: 'oz', output: 'oz_clip', column: 'x', method: 'zscore', factor: 1.5, action: 'clip' }, 'preprocess');
    assert.deepEqual(await rows('SELECT * FROM oz_clip WHERE id <> 6 ORDER BY id'), [{ id: 1, x: 0 }, { id: 2, x: 2 }, { id: 3, x: 11 }, { id: 4, x: 12 }, { id: 5, x: 37 }]);

    await step({ type: 'outliers', input: 'oz', output: 'oz_flag', column: 'x', method: 'zscore', factor: 1.5, action: 'flag' }, 'preprocess');
    assert.deepEqual(await rows('SELECT id, x_outlier FROM oz_flag ORDER BY id'), [
      { id: 1, x_outlier: false }, { id: 2, x_outlier: false }, { id: 3, x_outlier: false }, { id: 4, x_outlier: false }, { id: 5, x_outlier: true }, { id: 6, x_outlier: false },
    ]);
  });

  it('zscore with the default factor 3 finds nothing here', async () => {
    await step({ type: 'outliers', input: 'oz', output: 'oz_default', column: 'x', method: 'zscore' }, 'preprocess');
    assert.equal(await s.engine.count('oz_default'), 6);
  });

  it('range drop / clip / flag with min and max, or only one of them', async () => {
    await step({ type: 'outliers', input: 'ol', output: 'or_drop', column: 'x', method: 'range', min: 0, max: 20, rejects: 'or_rejects' }, 'preprocess');
    assert.deepEqual(await rows('SELECT * FROM or_drop ORDER BY id'), KEPT);
    assert.deepEqual(await rows('SELECT * FROM or_rejects ORDER BY id'), REJECTED);

    await step({ type: 'outliers', input: 'ol', output: 'or_max', column: 'x', method: 'range', max: 20, rejects: 'or_max_rejects' }, 'preprocess');
    assert.deepEqual(await rows('SELECT * FROM or_max ORDER BY id'), [...KEPT.slice(0, 4), { id: 6, x: null }, { id: 7, x: -50 }]);
    assert.deepEqual(await rows('SELECT * FROM or_max_rejects ORDER BY id'), [{ id: 5, x: 100 }]);

    await step({ type: 'outliers', input: 'ol', output: 'or_clip', column: 'x', method: 'range', min: 0, max: 20, action: 'clip' }, 'preprocess');
    assert.deepEqual(await rows('SELECT * FROM or_clip WHERE id <> 6 ORDER BY id'), [
      { id: 1, x: 10 }, { id: 2, x: 11 }, { id: 3, x: 12 }, { id: 4, x: 13 }, { id: 5, x: 20 }, { id: 7, x: 0 },
    ]);

    await step({ type: 'outliers', input: 'ol', output: 'or_flag', column: 'x', method: 'range', min: 0, action: 'flag' }, 'preprocess');
    assert.deepEqual(await rows('SELECT id, x_outlier FROM or_flag ORDER BY id'), [
      { id: 1, x_outlier: false }, { id: 2, x_outlier: false }, { id: 3, x_outlier: false }, { id: 4, x_outlier: false },
      { id: 5, x_outlier: false }, { id: 6, x_outlier: false }, { id: 7, x_outlier: true },
    ]);
  });

  it('range without min or max is a CONFIG error', async () => {
    const err = await stepFails({ type: 'outliers', input: 'ol', column: 'x', method: 'range' }, 'preprocess');
    assert.equal(err.code, 'CONFIG');
    assert.equal(err.message, 'method range needs min and/or max');
    assert.deepEqual(err.context, { stage: 'preprocess', field: 'min', dataset: 'ol' });
  });
});

describe('sql', () => {
  it('runs a SELECT over datasets by name into its output', async () => {
    await table('sq', 'country, amount', "('FR', 10), ('FR', 5), ('DE', 7)");
    await step({ type: 'sql', inputs: ['sq'], output: 'by_country', query: 'SELECT country, sum(amount) AS total FROM sq GROUP BY country' }, 'preprocess');
    assert.deepEqual(await rows('SELECT * FROM by_country ORDER BY country'), [{ country: 'DE', total: 7 }, { country: 'FR', total: 15 }]);
  });
});

describe('join unique_right', () => {
  it('fails with the repeated key instead of multiplying rows, and passes when keys are unique', async () => {
    const t = await TableEngine.open(await mkdtemp(join(tmpdir(), 'ferry-join-')));
    try {
      await t.run(`CREATE TABLE orders AS SELECT * FROM (VALUES (1, 'p1'), (2, 'p2')) t(id, product_id)`);
      await t.run(`CREATE TABLE products AS SELECT * FROM (VALUES ('p1', 'a'), ('p2', 'b'), ('p2', 'b again')) t(product_id, name)`);
      const spec = stepSchema.parse({ type: 'join', left: 'orders', right: 'products', on: ['product_id'], how: 'left', unique_right: true, output: 'o' });
      await assert.rejects(applySteps(t, 'standardize', [spec]), (err: unknown) => {
        assert.ok(err instanceof FerryError);
        assert.equal(err.code, 'DATA');
        assert.equal(err.message, 'product_id = "p2" occurs 2 times in products, so the join would repeat rows of orders');
        return true;
      });
      await t.run(`DELETE FROM products WHERE name = 'b again'`);
      await applySteps(t, 'standardize', [spec]);
      assert.deepEqual(await t.rows('SELECT * FROM o ORDER BY id'), [{ id: 1, product_id: 'p1', name: 'a' }, { id: 2, product_id: 'p2', name: 'b' }]);
    } finally {
      t.close();
    }
  });
});

describe('dedupe over a view', () => {
  it('keeps the same rows as over a table', async () => {
    const t = await TableEngine.open(await mkdtemp(join(tmpdir(), 'ferry-dedupe-')));
    try {
      await t.run(`CREATE TABLE raw AS SELECT * FROM (VALUES (2, 'b1'), (1, 'a1'), (2, 'b2'), (3, 'c1'), (1, 'a2')) t(k, v)`);
      await t.run('CREATE VIEW staged AS SELECT * FROM raw');
      await applySteps(t, 'preprocess', [stepSchema.parse({ type: 'dedupe', input: 'staged', keys: ['k'], output: 'from_view' })]);
      await applySteps(t, 'preprocess', [stepSchema.parse({ type: 'dedupe', input: 'raw', keys: ['k'], output: 'from_table' })]);
      const expected = [{ k: 1, v: 'a1' }, { k: 2, v: 'b1' }, { k: 3, v: 'c1' }];
      assert.deepEqual(await t.rows('SELECT * FROM from_view'), expected);
      assert.deepEqual(await t.rows('SELECT * FROM from_table'), expected);
    } finally {
      t.close();
    }
  });
});
