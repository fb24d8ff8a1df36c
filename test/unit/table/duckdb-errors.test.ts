/** The one DuckDB error classifier, table-driven: the error class in the message decides the code. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyDuckDbError, duckDbErrorCode } from '../../../src/table/duckdb-errors.js';
import { DataError, FerryError, type ErrorCode } from '../../../src/errors.js';
import { TableEngine } from '../../../src/table/engine.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CASES: [string, ErrorCode][] = [
  ['Parser Error: syntax error at or near "FORM"', 'CONFIG'],
  ['Binder Error: Referenced column "x" not found in FROM clause!', 'CONFIG'],
  ['Catalog Error: Table with name nope does not exist!', 'CONFIG'],
  ['Permission Error: Cannot access file "/etc/passwd" - file system operations are disabled by configuration', 'CONFIG'],
  ['Not implemented Error: Unsupported type', 'CONFIG'],
  ['Invalid Input Error: Cannot change configuration option "memory_limit" - the configuration has been locked', 'CONFIG'],
  ["Conversion Error: Could not convert string 'abc' to INT32", 'DATA'],
  ['Constraint Error: Duplicate key "id: 1" violates primary key constraint', 'DATA'],
  ['Invalid Input Error: CSV Error on Line: 3', 'DATA'],
  ['Out of Range Error: Overflow in multiplication of INT32', 'DATA'],
  ['Out of Memory Error: could not allocate block of size 256.0 KiB (1.0 GiB/1.0 GiB used)', 'RESOURCE'],
  ['IO Error: Could not write file "/w/spill/x.tmp": No space left on device', 'RESOURCE'],
  ['IO Error: Cannot open file "x": No such file or directory', 'UNKNOWN'],
  ['INTERNAL Error: Attempted to access index 3 within vector of size 3', 'UNKNOWN'],
  ['something else entirely', 'UNKNOWN'],
];

for (const [message, code] of CASES) {
  test(`${message.slice(0, 60)} → ${code}`, () => {
    assert.equal(duckDbErrorCode(message), code);
    const err = classifyDuckDbError(new Error(`${message}\n\nLINE 1: …`), { dataset: 'sales' });
    assert.equal(err.code, code);
    assert.equal(err.message, message);
    assert.deepEqual(err.context, { dataset: 'sales' });
  });
}

test('a FerryError passes through unchanged; a client prefix is dropped', () => {
  const data = new DataError('bad', { line: 3 });
  assert.equal(classifyDuckDbError(data), data);
  const err = classifyDuckDbError(new Error('Failed to extract statements: Parser Error: syntax error at or near ";"'));
  assert.equal(err.code, 'CONFIG');
  assert.equal(err.message, 'Parser Error: syntax error at or near ";"');
});

test('every DuckDB error leaving the engine is classified', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-classify-'));
  const t = await TableEngine.open(dir, { memoryLimit: '64MB' });
  try {
    const codeOf = (p: Promise<unknown>) => p.then(() => 'none', (e: unknown) => (e instanceof FerryError ? e.code : 'raw'));
    assert.equal(await codeOf(t.run('SELEC 1')), 'CONFIG');
    assert.equal(await codeOf(t.rows("SELECT 'x'::INTEGER")), 'DATA');
    assert.equal(await codeOf(t.columns('missing')), 'CONFIG');
    assert.equal(await codeOf(t.rows('SELECT list(range) FROM range(100000000)')), 'RESOURCE');
  } finally {
    t.close();
    await rm(dir, { recursive: true, force: true });
  }
});
