/**
 * The human gate in tests: a pipeline that asks (products.csv → a file sink, `on_fail: ask`) and a
 * fake `quality` activity that fails one of its rules, so gate tests do not depend on how rules are
 * checked.
 *
 *   const file = await askingPipeline(dir, 'gate_x', { timeout: '2s', default: 'quarantine' });
 *   const activities = { ...createActivities(…), quality: fakeQuality('row') };
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DatasetRef, QualityInput, QualityOutput, RuleOutcome } from '../../src/run.js';

/** products.csv: 6 rows; the sample rows of the fake rule. */
export const PRODUCTS = 'examples/retail/data/products.csv';
export const PRODUCT_ROWS = 6;
export const SAMPLE = { product_id: 'P04', name: 'Cable', category: null, _reason: 'category is NULL' };

export async function askingPipeline(dir: string, name: string, ask: { timeout?: string; default?: string } = {}, out = join(dir, `${name}.csv`)): Promise<string> {
  const file = join(dir, `${name}.yaml`);
  const askLine = Object.keys(ask).length ? `\n  ask: { ${Object.entries(ask).map(([k, v]) => `${k}: ${v}`).join(', ')} }` : '';
  await writeFile(file, `name: ${name}
sources:
  products: { type: file, path: ${PRODUCTS} }
quality:
  on_fail: ask${askLine}
  rules:
    - { rule: not_null, dataset: products, columns: [category] }
sinks:
  out: { type: file, input: products, path: ${out} }
`);
  return file;
}

/** The outcome of the failed rule: a row rule (1 of 6 rows) or a table rule (row_count). */
export function askOutcome(kind: 'row' | 'table'): RuleOutcome {
  return kind === 'row'
    ? { name: 'not_null:products.category', rule: 'not_null', dataset: 'products', kind, severity: 'error', onFail: 'ask', status: 'failed', checked: PRODUCT_ROWS, failed: 1, threshold: 'none', message: '1 of 6 rows have NULL in category', columns: ['category'], samples: [SAMPLE] }
    : { name: 'row_count:products', rule: 'row_count', dataset: 'products', kind, severity: 'error', onFail: 'ask', status: 'failed', value: PRODUCT_ROWS, expected: 'at least 100', message: '6 rows; expected at least 100' };
}

/** A ref that stands for a split part (the unit tests' sinks only record which ref they got). */
const part = (of: DatasetRef, dataset: string, rows: number): DatasetRef => ({ ...of, dataset, rows, uri: `${of.uri}#${dataset}`, sha256: dataset });

/**
 * A `quality` activity whose one error rule failed with on_fail ask. A row rule splits the dataset
 * (kept 5, rejects 1: refs derived from the input, not files); a table rule splits nothing.
 */
export function fakeQuality(kind: 'row' | 'table') {
  return async (input: QualityInput): Promise<QualityOutput> => {
    const products = input.inputs.products!;
    return {
      outcomes: [askOutcome(kind)],
      profiles: { products: { rows: products.rows, columns: [] } },
      split: kind === 'row' ? { products: { kept: part(products, 'products', products.rows - 1), rejects: part(products, 'products_rejects', 1) } } : {},
    };
  };
}
