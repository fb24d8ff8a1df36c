/**
 * `ferry validate` on the quality section: rule datasets exist, thresholds and quarantine only on
 * row rules, mostly XOR max_failures, `<dataset>_rejects` is a new name that sinks may then read —
 * every problem with its file:line.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPipeline, formatIssue, SpecError } from '../../../src/pipeline/load.js';

let dir: string;
let n = 0;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-quality-refs-'));
  await writeFile(join(dir, 'connections.yaml'), 'lake:\n  type: s3\n');
});
after(async () => rm(dir, { recursive: true, force: true }));

async function load(yaml: string) {
  const file = join(dir, `p${++n}.yaml`);
  await writeFile(file, yaml);
  return loadPipeline(file, { connectionsFile: join(dir, 'connections.yaml') });
}

async function problems(yaml: string): Promise<string[]> {
  try {
    await load(yaml);
  } catch (err) {
    assert.ok(err instanceof SpecError, String(err));
    return err.issues.map((i) => formatIssue(i).replace(`${dir}/`, ''));
  }
  assert.fail('the pipeline loaded but should have failed');
}

const HEAD = `name: q
sources:
  sales:
    type: file
    path: sales.csv
    on_error: quarantine
  customers:
    type: file
    path: customers.csv
`;

describe('validate: quality', () => {
  it('a quarantined dataset\'s rejects can be delivered', async () => {
    const { spec } = await load(`${HEAD}quality:
  on_fail: quarantine
  rules:
    - { rule: not_null, dataset: customers, columns: [id] }
    - { rule: row_count, dataset: customers, min: 1 }
sinks:
  bad:
    type: file
    input: customers_rejects
    path: out/bad.csv
`);
    assert.equal(spec.quality!.rules.length, 2);
  });

  it('reports every problem with file:line', async () => {
    assert.deepEqual(await problems(`${HEAD}quality:
  rules:
    - { rule: not_null, dataset: ghost, columns: [id] }
    - { rule: referential, dataset: customers, columns: [id], references: { dataset: nobody, columns: [id] } }
    - { rule: not_null, dataset: customers, columns: [id], mostly: 0.9, max_failures: 3 }
    - { rule: row_count, dataset: customers, min: 1, mostly: 0.9, on_fail: quarantine }
    - { rule: not_null, dataset: sales, columns: [id], on_fail: quarantine }
    - { rule: unique, dataset: customers, columns: [id], severity: warn, on_fail: quarantine }
sinks:
  bad:
    type: file
    input: customers_rejects
    path: out/bad.csv
`), [
      "  p2.yaml:12:34  quality.rules[0].dataset: unknown dataset 'ghost'; known after preprocess: sales, customers, sales_rejects",
      "  p2.yaml:13:86  quality.rules[1].references.dataset: unknown dataset 'nobody'; known after preprocess: sales, customers, sales_rejects",
      '  p2.yaml:14:87  quality.rules[2].max_failures: give mostly or max_failures, not both',
      '  p2.yaml:15:62  quality.rules[3].mostly: mostly is for row rules; row_count checks the dataset as a whole',
      '  p2.yaml:15:76  quality.rules[3].on_fail: row_count checks the dataset as a whole, so it has no rows to quarantine: use fail or ask',
      "  p2.yaml:16:34  quality.rules[4].dataset: quarantining sales writes sales_rejects, but a dataset of that name already exists (a source's on_error rejects or a step's output): rename it, or use on_fail: fail",
      "  p2.yaml:21:12  sinks.bad.input: unknown dataset 'customers_rejects'; known: sales, customers, sales_rejects",
    ]);
  });

  it('two rules of the same name (two sql rules of a dataset) would be one in the report and in _rule', async () => {
    assert.deepEqual(await problems(`${HEAD}quality:
  on_fail: quarantine
  rules:
    - { rule: sql, dataset: customers, description: no id, query: 'SELECT * FROM customers WHERE id IS NULL' }
    - { rule: sql, dataset: customers, description: test rows, query: 'SELECT * FROM customers WHERE id < 0' }
    - { rule: sql, dataset: customers, name: sql_third, query: 'SELECT * FROM customers WHERE id = 0' }
    - { rule: row_count, dataset: customers, min: 1, name: sql_third }
`), [
      "  p3.yaml:14:7  quality.rules[1]: rules[0] is called sql:customers.sql too: give one of them a name (name: …), so the report and _rule can tell them apart",
      "  p3.yaml:16:60  quality.rules[3].name: rules[2] is called sql_third too: give one of them another name (name: …), so the report and _rule can tell them apart",
    ]);
  });

  it('checks the datasets even when a rule is invalid', async () => {
    assert.deepEqual(await problems(`${HEAD}quality:
  rules:
    - { rule: not_nul, dataset: customers, columns: [id] }
    - { rule: row_count, dataset: ghost, min: 1 }
`), [
      '  p4.yaml:12:15  quality.rules[0].rule: expected one of: not_null, unique, range, pattern, accepted_values, type, max_length, row_count, freshness, referential, sql, anomaly, pii_detect (got "not_nul")',
      "  p4.yaml:13:35  quality.rules[1].dataset: unknown dataset 'ghost'; known after preprocess: sales, customers, sales_rejects",
    ]);
  });
});
