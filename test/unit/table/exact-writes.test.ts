/**
 * What the file sinks write is what a third-party reader gets back: CSV numbers in their usual
 * text, JSON/NDJSON that any strict parser reads, nested JSON values with every digit.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TableEngine } from '../../../src/table/engine.js';
import { writeTableFile } from '../../../src/table/formats.js';

let dir: string;
let engine: TableEngine;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-writes-'));
  engine = await TableEngine.open(join(dir, 'engine'));
});
after(async () => {
  engine.close();
  await rm(dir, { recursive: true, force: true });
});

describe('CSV sink numbers', () => {
  it('a DECIMAL whose digits are all after the point keeps its leading zero (0.5, not .5)', async () => {
    await engine.run(`CREATE OR REPLACE TABLE d AS SELECT * FROM (VALUES (0.000222::DECIMAL(6,6), -0.5::DECIMAL(1,1), 12.5::DECIMAL(3,1)), (NULL, 0::DECIMAL(1,1), NULL)) t(w, h, x)`);
    const file = join(dir, 'd.csv');
    await writeTableFile(engine, 'd', file, { format: 'csv' });
    assert.equal(await readFile(file, 'utf8'), 'w,h,x\n0.000222,-0.5,12.5\n,0.0,\n');
  });
});
