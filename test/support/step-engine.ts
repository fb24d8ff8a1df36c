/**
 * A table engine for step tests, opened before the file's tests and closed after, with the helpers
 * every step test uses: make a table from VALUES, apply one step, expect one to fail.
 *
 *   const s = useStepEngine('ferry-steps-test-');
 *   await s.table('sales', 'id, amount', "(1, 2.5)");
 *   await s.step({ type: 'rename', input: 'sales', columns: { amount: 'total' } });
 */
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TableEngine, type Row } from '../../src/table/engine.js';
import { applySteps, stepSchema } from '../../src/table/steps/index.js';
import { FerryError } from '../../src/errors.js';

export function useStepEngine(prefix: string) {
  let dir = '';
  let engine: TableEngine | undefined;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), prefix));
    engine = await TableEngine.open(dir);
  });
  after(async () => {
    engine?.close();
    await rm(dir, { recursive: true, force: true });
  });
  const open = (): TableEngine => engine ?? assert.fail('the step engine is opened in before()');
  const step = async (raw: unknown, stage = 'standardize'): Promise<void> => applySteps(open(), stage, [stepSchema.parse(raw)]);
  return {
    get engine(): TableEngine {
      return open();
    },
    /** The engine's work directory (a test may put its own files there). */
    get dir(): string {
      return dir;
    },
    table: async (name: string, columns: string, values: string): Promise<void> =>
      open().run(`CREATE OR REPLACE TABLE "${name}" AS SELECT * FROM (VALUES ${values}) t(${columns})`),
    step,
    async stepFails(raw: unknown, stage = 'standardize'): Promise<FerryError> {
      try {
        await step(raw, stage);
      } catch (err) {
        assert.ok(err instanceof FerryError, `expected a FerryError, got ${String(err)}`);
        return err;
      }
      assert.fail('the step succeeded but should have failed');
    },
    rows: (sql: string): Promise<Row[]> => open().rows(sql),
    types: async (dataset: string): Promise<string[]> => (await open().columns(dataset)).map((c) => `${c.name} ${c.type}`),
  };
}
