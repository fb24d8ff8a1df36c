/**
 * Quarantine: a dataset split in two by its flags table (check.ts). A row that violates any
 * splitting rule that failed goes to `<dataset>_rejects` — once, however many such rules it broke:
 * `_rule` lists their names and `_reason` their reasons, each joined by "; " in rule order — and
 * every other row is kept, so kept + rejects = the input, exactly. Rows keep their input order.
 * With no such rule failed, rejects is empty but has the same columns.
 *
 *   await splitDataset(table, 'sales', flags);   // tables: sales (kept), sales_rejects
 */
import { ConfigError } from '../errors.js';
import { ident, lit, type TableEngine } from '../table/engine.js';
import { rejectsOf } from '../table/formats.js';
import type { Flags } from './check.js';

export async function splitDataset(table: TableEngine, dataset: string, flags: Flags): Promise<{ kept: string; rejects: string }> {
  const rejects = rejectsOf(dataset);
  if (await table.exists(rejects)) throw new ConfigError(`the quality stage quarantines ${dataset} into ${rejects}, but a dataset of that name already exists: rename it`, { dataset, field: 'quality' });
  const have = (await table.columns(dataset)).map((c) => c.name);
  for (const extra of ['_rule', '_reason']) {
    if (have.includes(extra)) throw new ConfigError(`${dataset} has a column ${extra}, which ${rejects} adds: rename it in preprocess`, { dataset, field: 'quality' });
  }
  const failing = flags.rules.filter((r) => r.splits && r.failed);
  const rejected = failing.length ? failing.map((r) => `f.${r.violates}`).join(' OR ') : 'false';
  const list = (pick: (r: Flags['rules'][number]) => string) =>
    failing.length ? `concat_ws('; ', ${failing.map((r) => `CASE WHEN f.${r.violates} THEN ${pick(r)} END`).join(', ')})` : 'CAST(NULL AS VARCHAR)';
  const joined = `FROM ${ident(dataset)} d JOIN ${ident(flags.table)} f ON d.rowid = f.__ferry_row`;
  await table.run(`CREATE TABLE ${ident(rejects)} AS SELECT d.*, ${list((r) => lit(r.name))} AS _rule, ${list((r) => `f.${r.reason}`)} AS _reason ${joined} WHERE ${rejected} ORDER BY f.__ferry_row`);
  await table.replace(dataset, `SELECT d.* ${joined} WHERE NOT (${rejected}) ORDER BY f.__ferry_row`);
  return { kept: dataset, rejects };
}
