/**
 * pii_detect over real DuckDB tables: names and values that look personal are flagged with their
 * share; ids, order numbers, prices and dates are not. The value patterns are checked one by one.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TableEngine } from '../../../src/table/engine.js';
import { piiDetect, type PiiDetectSpec } from '../../../src/quality/rules/pii-detect.js';
import { ruleSchema } from '../../../src/quality/rules/index.js';
import { kindOfName, kindOfValue, luhn, ibanValid, cpfValid } from '../../../src/quality/pii-patterns.js';
import type { RuleContext } from '../../../src/quality/rule.js';

let dir: string;
let engine: TableEngine;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-pii-detect-'));
  engine = await TableEngine.open(dir);
});
after(async () => {
  engine.close();
  await rm(dir, { recursive: true, force: true });
});

async function check(dataset: string, raw: Record<string, unknown> = {}) {
  const spec = ruleSchema.parse({ rule: 'pii_detect', dataset, ...raw }) as PiiDetectSpec;
  const ctx = { table: engine, dataset, columns: await engine.columns(dataset) } as unknown as RuleContext;
  return piiDetect.check(spec, ctx);
}

describe('pii_detect', () => {
  before(async () => {
    // 1,000 rows: contact holds e-mails in 980 rows (20 are 'n/a'), phones, IBANs, cards, SSNs; ids and amounts beside them.
    await engine.run(`CREATE TABLE people AS SELECT
        i AS id,
        CASE WHEN i % 50 = 0 THEN 'n/a' ELSE 'user' || i || '@example.com' END AS contact,
        '+44 20 7946 ' || lpad(CAST(i AS VARCHAR), 4, '0') AS reach,
        CASE WHEN i % 2 = 0 THEN 'DE89 3704 0044 0532 0130 00' ELSE 'GB82WEST12345698765432' END AS acct,
        CASE WHEN i % 2 = 0 THEN '4111 1111 1111 1111' ELSE '5500-0000-0000-0004' END AS pay,
        '123-45-' || lpad(CAST(i + 1 AS VARCHAR), 4, '0') AS gov,
        CASE WHEN i % 3 = 0 THEN NULL ELSE 'x' END AS note
      FROM range(1000) t(i)`);
    await engine.run(`CREATE TABLE orders AS SELECT
        i AS id,
        CAST(100000000 + i * 7919 AS VARCHAR) AS order_no,
        'ORD-' || lpad(CAST(i AS VARCHAR), 8, '0') AS ref,
        CAST(round(i * 13.37, 2) AS VARCHAR) AS price_text,
        i * 13.37 AS price,
        CAST(DATE '2024-01-01' + CAST(i AS INTEGER) AS VARCHAR) AS day,
        strftime(DATE '2024-01-01' + CAST(i AS INTEGER), '%d/%m/%Y') AS day_eu,
        CAST(1000000000000 + i AS VARCHAR) AS long_id,
        lpad(CAST(i AS VARCHAR), 11, '0') AS padded
      FROM range(1000) t(i)`);
  });

  it('flags columns by value with the share of sampled values, most specific kind first', async () => {
    const got = await check('people');
    assert.equal(got.passed, false);
    assert.deepEqual(got.columns, ['contact', 'reach', 'acct', 'pay', 'gov']);
    assert.equal(got.message, 'contact looks like e-mail addresses (98% of 1,000 sampled values); reach looks like phone numbers (100% of 1,000 sampled values); ' +
      'acct looks like IBANs (100% of 1,000 sampled values); pay looks like card numbers (100% of 1,000 sampled values); gov looks like national ids (100% of 1,000 sampled values)');
    assert.equal(got.value, 5);
  });

  it('min_share, kinds, columns and ignore narrow it', async () => {
    assert.deepEqual((await check('people', { min_share: 0.99 })).columns, ['reach', 'acct', 'pay', 'gov']);
    assert.deepEqual((await check('people', { kinds: ['card', 'iban'] })).columns, ['acct', 'pay']);
    assert.deepEqual((await check('people', { columns: ['id', 'contact', 'note'] })).columns, ['contact']);
    const ignored = await check('people', { ignore: ['contact', 'reach', 'acct', 'pay', 'gov'] });
    assert.deepEqual(ignored, { passed: true, message: 'no column looks personal (2 columns checked by name, 1 text columns by value)', value: 0, columns: [] });
  });

  it('a share exactly at min_share is flagged ("at least")', async () => {
    await engine.run("CREATE TABLE halves AS SELECT * FROM (VALUES ('ana@example.com'), ('bo@example.org'), ('n/a'), ('unknown')) v(v)");
    const half = await check('halves', { min_share: 0.5, by_name: false });
    assert.deepEqual([half.columns, half.message], [['v'], 'v looks like e-mail addresses (50% of 4 sampled values)']);
    assert.equal((await check('halves', { min_share: 0.51, by_name: false })).passed, true);
  });

  it('does not flag ids, order numbers, prices, dates (as numbers or as text)', async () => {
    const got = await check('orders');
    assert.deepEqual(got, { passed: true, message: 'no column looks personal (9 columns checked by name, 7 text columns by value)', value: 0, columns: [] });
  });

  it('flags columns by name, even when empty or not text', async () => {
    await engine.run(`CREATE TABLE named AS SELECT 1 AS id, CAST(NULL AS VARCHAR) AS customerEmail, DATE '1984-07-23' AS date_of_birth, 12345 AS cc_number, 'x' AS passport_no, 'y' AS nickname`);
    const got = await check('named');
    assert.deepEqual(got.columns, ['customerEmail', 'date_of_birth', 'cc_number', 'passport_no']);
    assert.equal(got.message, 'customerEmail is named like e-mail addresses; date_of_birth is named like birth dates; cc_number is named like card numbers; passport_no is named like national ids');
    assert.equal((await check('named', { by_name: false })).passed, true);
  });

  it('names an unknown column', async () => {
    const got = await check('named', { columns: ['mail'] });
    assert.deepEqual(got, { passed: false, message: 'unknown column mail in named; it has: id, customerEmail, date_of_birth, cc_number, passport_no, nickname' });
  });
});

describe('pii patterns', () => {
  const cases: [string, string | undefined][] = [
    ['ana@example.com', 'email'], ['a.b+tag@sub.example.co.uk', 'email'], ['not an @ mail', undefined], ['ana@localhost', undefined],
    ['+442079460958', 'phone'], ['+44 20 7946 0958', 'phone'], ['(212) 555-0198', 'phone'], ['0044 20 7946 0958', 'phone'], ['07946095800', 'phone'], ['030-12345678', 'phone'],
    ['12345678', undefined], ['100234567', undefined], ['-12345678', undefined], ['1234567.89', undefined], ['2024-01-05', undefined], ['05/01/2024', undefined], ['00012345678', undefined], ['555-0198', undefined],
    ['DE89 3704 0044 0532 0130 00', 'iban'], ['GB82WEST12345698765432', 'iban'], ['GB82WEST12345698765433', undefined],
    ['4111111111111111', 'card'], ['4111 1111 1111 1111', 'card'], ['378282246310005', 'card'], ['4111111111111112', undefined],
    ['123-45-6789', 'national_id'], ['000-45-6789', undefined], ['666-12-3456', undefined], ['123.456.789-09', 'national_id'], ['12345678909', 'national_id'],
    ['AB 12 34 56 C', 'national_id'], ['AB123456C', 'national_id'], ['GB123456A', undefined], ['DA123456A', undefined],
  ];
  for (const [value, kind] of cases) {
    it(`${JSON.stringify(value)} → ${kind ?? 'nothing'}`, () => assert.equal(kindOfValue(value), kind));
  }

  it('names', () => {
    assert.deepEqual(['email', 'e_mail', 'EmailAddress', 'phone', 'mobile_number', 'iban', 'card', 'cc_number', 'ssn', 'cpf', 'national_id', 'passport', 'dob', 'birth_date', 'DateOfBirth'].map(kindOfName),
      ['email', 'email', 'email', 'phone', 'phone', 'iban', 'card', 'card', 'national_id', 'national_id', 'national_id', 'national_id', 'birth_date', 'birth_date', 'birth_date']);
    assert.deepEqual(['id', 'order_id', 'mailbox_size', 'telemetry', 'cardinality', 'scene', 'price', 'description', 'rebirth_count'].map(kindOfName), [undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined]);
  });

  it('check digits', () => {
    assert.equal(luhn('79927398713'), true);
    assert.equal(luhn('79927398710'), false);
    assert.equal(ibanValid('GB82WEST12345698765432'), true);
    assert.equal(cpfValid('52998224725'), true);
    assert.equal(cpfValid('52998224724'), false);
    assert.equal(cpfValid('11111111111'), false);
  });
});
