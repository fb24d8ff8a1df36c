/**
 * The quality stage through the real worker: an error rule with `on_fail: fail` fails the run with
 * its message before any sink is written (checked in PostgreSQL and by an S3 HEAD); with
 * `on_fail: quarantine` PostgreSQL gets exactly the kept rows and another sink `<dataset>_rejects`
 * with `_rule` and `_reason`; warn rules deliver everything and are listed in the report.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile, rm } from 'node:fs/promises';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import { startHarness, randomId } from '../support/harness.js';
import { loadConnections } from '../../src/pipeline/load.js';
import { resolveConnection } from '../../src/connect/connections.js';
import { s3Client } from '../../src/connect/s3.js';

const s = `ferry_quality_${randomId()}`;
const dir = `.ferry/test-files/quality-${randomId()}`;
const bucket = 'ferry-demo';
const key = `it-quality-${randomId()}/orders.csv`;
let h: Awaited<ReturnType<typeof startHarness>>;

/** Six orders: 3 break no error rule, 1 has no amount, 1 a negative amount, 1 both a NULL customer and a negative amount. */
const ROWS = `(1, 'C1', 10.50), (2, 'C2', NULL), (3, 'C3', -4.00), (4, NULL, -1.00), (5, 'C555', 7.25), (6, 'C1', 0.00)`;

async function pipeline(name: string, quality: string, sinks: string): Promise<string> {
  const file = `${dir}/${name}.yaml`;
  await writeFile(file, `name: ${name}
sources:
  orders: { type: postgres, connection: warehouse, query: 'SELECT * FROM ${s}.orders ORDER BY id' }
quality:
${quality}
sinks:
${sinks}
`);
  return file;
}

async function s3Head(k: string): Promise<number> {
  const s3 = s3Client(resolveConnection(await loadConnections('config/connections.yaml'), 'lake', 's3'));
  return s3.send(new HeadObjectCommand({ Bucket: bucket, Key: k })).then(() => 200, (e: { $metadata?: { httpStatusCode?: number } }) => e.$metadata?.httpStatusCode ?? 0);
}

before(async () => {
  h = await startHarness();
  await h.sql(`CREATE SCHEMA ${s}; CREATE TABLE ${s}.orders (id int, customer text, amount numeric(10,2)); INSERT INTO ${s}.orders VALUES ${ROWS}`);
  await mkdir(dir, { recursive: true });
});

after(async () => {
  await h.sql(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
  await h.s3Delete(bucket, key);
  await h.stop();
  await rm(dir, { recursive: true, force: true });
});

const RULES = `    - { rule: not_null, dataset: orders, columns: [customer, amount] }
    - { rule: range, dataset: orders, column: amount, min: 0 }
    - { rule: max_length, dataset: orders, column: customer, max: 3, severity: warn }`;

test('on_fail: fail — the run fails with the rule\'s message and no sink is written', async () => {
  const file = await pipeline('quality_fail', `  on_fail: fail\n  rules:\n${RULES}`, `  pg: { type: postgres, connection: warehouse, input: orders, table: ${s}.delivered }
  lake: { type: s3, connection: lake, input: orders, bucket: ${bucket}, key: ${key} }`);
  const handle = await h.start(file);
  const err = await handle.result().then(() => assert.fail('the run should fail'), (e: unknown) => e);
  assert.ok(err instanceof WorkflowFailedError);
  assert.ok(err.cause instanceof ApplicationFailure, String(err.cause));
  assert.deepEqual([err.cause.type, err.cause.nonRetryable], ['DATA', true]);
  assert.equal(err.cause.message, 'quality gate: not_null:orders.customer,amount: 2 of 6 rows have NULL in customer or amount (33.33%; allowed none); '
    + 'range:orders.amount: 2 of 6 rows have amount below 0 (33.33%; allowed none); no sink was written');
  assert.deepEqual(await h.sql(`SELECT to_regclass('${s}.delivered') AS t`), [{ t: null }], 'the PostgreSQL sink table was not created');
  assert.equal(await s3Head(key), 404, 'no S3 object was written');
});

test('on_fail: quarantine — PostgreSQL gets exactly the kept rows, another sink the rejects with _rule and _reason', async () => {
  const file = await pipeline('quality_quarantine', `  on_fail: quarantine\n  rules:\n${RULES}`, `  kept: { type: postgres, connection: warehouse, input: orders, table: ${s}.kept }
  rejects: { type: postgres, connection: warehouse, input: orders_rejects, table: ${s}.rejects }`);
  const { report } = await h.run(file);
  assert.equal(report.status, 'completed');
  assert.equal(report.quality!.verdict, 'quarantine');
  assert.deepEqual(report.quality!.outcomes.map((o) => [o.name, o.severity, o.status, o.failed]), [
    ['not_null:orders.customer,amount', 'error', 'failed', 2],
    ['range:orders.amount', 'error', 'failed', 2],
    ['max_length:orders.customer', 'warn', 'failed', 1],
  ]);
  // Exactly the rows that break no error rule (the warn rule's C555 stays), nothing more, nothing less.
  const expected = `SELECT id, customer, amount FROM ${s}.orders WHERE customer IS NOT NULL AND amount IS NOT NULL AND amount >= 0`;
  assert.deepEqual(await h.sql(`(${expected} EXCEPT ALL SELECT id, customer, amount FROM ${s}.kept) UNION ALL (SELECT id, customer, amount FROM ${s}.kept EXCEPT ALL ${expected})`), []);
  assert.deepEqual(await h.sql(`SELECT id, customer, amount::text, _rule, _reason FROM ${s}.rejects ORDER BY id`), [
    { id: 2, customer: 'C2', amount: null, _rule: 'not_null:orders.customer,amount', _reason: 'NULL in amount' },
    { id: 3, customer: 'C3', amount: '-4.00', _rule: 'range:orders.amount', _reason: "amount '-4.00' is below 0" },
    { id: 4, customer: null, amount: '-1.00', _rule: 'not_null:orders.customer,amount; range:orders.amount', _reason: "NULL in customer; amount '-1.00' is below 0" },
  ]);
  const [counts] = await h.sql<{ kept: number; rejects: number; input: number }>(`SELECT (SELECT count(*)::int FROM ${s}.kept) AS kept, (SELECT count(*)::int FROM ${s}.rejects) AS rejects, (SELECT count(*)::int FROM ${s}.orders) AS input`);
  assert.equal(counts!.kept + counts!.rejects, counts!.input);
  const quality = report.stages.find((st) => st.stage === 'quality')!;
  assert.deepEqual(quality.datasets.map((d) => [d.dataset, d.rows]), [['orders', 3], ['orders_rejects', 3]]);
});

test('warn rules — every row is delivered and the report lists them', async () => {
  const file = await pipeline('quality_warn', `  rules:
    - { rule: not_null, dataset: orders, columns: [amount], severity: warn }
    - { rule: row_count, dataset: orders, max: 5, severity: warn }`, `  all: { type: postgres, connection: warehouse, input: orders, table: ${s}.all_rows }`);
  const { report } = await h.run(file);
  assert.equal(report.status, 'completed');
  assert.equal(report.quality!.verdict, 'pass');
  assert.deepEqual(report.quality!.outcomes.map((o) => [o.name, o.severity, o.status, o.message]), [
    ['not_null:orders.amount', 'warn', 'failed', '1 of 6 rows have NULL in amount (16.67%; allowed none)'],
    ['row_count:orders.rows', 'warn', 'failed', '6 rows (expected at most 5)'],
  ]);
  assert.deepEqual(report.quality!.outcomes[0]!.samples, [{ id: '2', customer: 'C2', amount: null, _reason: 'NULL in amount' }]);
  assert.deepEqual(await h.sql(`SELECT count(*)::int AS n FROM ${s}.all_rows`), [{ n: 6 }]);
});
