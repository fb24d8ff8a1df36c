/** A table engine for quality tests: tables from VALUES, rules checked by the real evaluator. */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TableEngine } from '../../../src/table/engine.js';
import { checkRules, type Checked } from '../../../src/quality/check.js';
import { qualitySchema } from '../../../src/quality/schema.js';
import { FerryError } from '../../../src/errors.js';
import type { RuleOutcome, RunContext } from '../../../src/run.js';

export const RUN: RunContext = { key: 'quality-test', time: '2024-01-10T12:00:00Z', date: '2024-01-10', timezone: 'UTC', trigger: 'cli' };

export async function openEngine(): Promise<{ engine: TableEngine; close: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-quality-test-'));
  const engine = await TableEngine.open(dir);
  return { engine, close: async () => { engine.close(); await rm(dir, { recursive: true, force: true }); } };
}

/** Creates (or replaces) a table from VALUES rows: table(e, 't', 'a, b', "(1, 'x'), (2, 'y')"). */
export async function table(engine: TableEngine, name: string, columns: string, values: string): Promise<void> {
  await engine.run(`CREATE OR REPLACE TABLE "${name}" AS SELECT * FROM (VALUES ${values}) t(${columns})`);
}

/** Checks raw rules (parsed by the quality schema, so defaults apply). */
export async function check(engine: TableEngine, rules: unknown[], stage: Record<string, unknown> = {}): Promise<Checked> {
  return checkRules(engine, { pipeline: 'p', run: RUN, spec: qualitySchema.parse({ ...stage, rules }), history: async () => [] });
}

/** One rule's outcome. */
export async function outcome(engine: TableEngine, rule: unknown, stage: Record<string, unknown> = {}): Promise<RuleOutcome> {
  return (await check(engine, [rule], stage)).outcomes[0]!;
}

/** A check that must fail: its FerryError. */
export async function checkFails(engine: TableEngine, rule: unknown): Promise<FerryError> {
  try {
    await check(engine, [rule]);
  } catch (err) {
    assert.ok(err instanceof FerryError, `expected a FerryError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the check to fail');
}
