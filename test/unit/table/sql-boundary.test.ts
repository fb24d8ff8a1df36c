/**
 * The SQL boundary: pipeline SQL reads the pipeline's datasets and nothing else. Files outside the
 * engine's directories cannot be read or written, the locked configuration cannot be changed, a
 * step field holds one statement (at validation and again in the engine), and file sources and
 * sinks stay inside FERRY_FILE_ROOTS.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, readFile, access, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { TableEngine } from '../../../src/table/engine.js';
import { applySteps, stepSchema, type StepSpec } from '../../../src/table/steps/index.js';
import { isSingleStatement, confineToRoots, fileRoots } from '../../../src/table/access.js';
import { FerryError } from '../../../src/errors.js';
import { fileSource } from '../../../activities/sources/file.js';
import { fileSink } from '../../../activities/sinks/file.js';
import type { SourceContext, SinkContext } from '../../../activities/adapter.js';

let dir: string;
let outside: string;
let t: TableEngine;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-boundary-'));
  outside = await mkdtemp(join(tmpdir(), 'ferry-outside-'));
  await writeFile(join(outside, 'secret.csv'), 'k,v\nsecret,42\n');
  t = await TableEngine.open(join(dir, 'work'));
  await t.run(`CREATE TABLE sales AS SELECT * FROM (VALUES (1, 10), (2, 20)) v(id, amount)`);
});
after(async () => {
  t.close();
  await rm(dir, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

async function stepFails(spec: unknown): Promise<FerryError> {
  try {
    await applySteps(t, 'preprocess', [spec as StepSpec]);
  } catch (err) {
    assert.ok(err instanceof FerryError, String(err));
    return err;
  }
  assert.fail('the step ran but should have failed');
}

describe('DuckDB external access', () => {
  it('a sql step cannot read a file outside the engine: CONFIG', async () => {
    const secret = join(outside, 'secret.csv');
    for (const query of [`SELECT * FROM read_csv('${secret}')`, `SELECT * FROM read_text('/etc/passwd')`, `SELECT * FROM '${secret}'`, `SELECT * FROM glob('/etc/*')`]) {
      const err = await stepFails(stepSchema.parse({ type: 'sql', output: 'leak', query }));
      assert.equal(err.code, 'CONFIG', query);
      assert.match(err.message, /^Permission Error: Cannot access file/, query);
    }
    const viaFilter = await stepFails(stepSchema.parse({ type: 'filter', input: 'sales', where: `id IN (SELECT 1 FROM read_csv('${secret}'))` }));
    assert.equal(viaFilter.code, 'CONFIG');
  });

  it('COPY … TO, ATTACH, INSTALL and SET are refused, and nothing is written', async () => {
    const target = join(outside, 'x.csv');
    for (const sql of [`COPY sales TO '${target}'`, `ATTACH '${join(outside, 'db.duckdb')}'`, 'INSTALL httpfs', 'SET enable_external_access = true', "SET allowed_directories = ['/']", 'RESET lock_configuration']) {
      await assert.rejects(t.run(sql), (err: unknown) => err instanceof FerryError && err.code === 'CONFIG', sql);
    }
    await assert.rejects(access(target));
  });

  it('the engine still reads and writes its own work directory, and spills there', async () => {
    const file = join(t.workdir, 'own.parquet');
    await t.exportParquet('sales', file);
    await t.loadParquet('again', file);
    assert.deepEqual(await t.rows('SELECT * FROM again ORDER BY id'), [{ id: 1, amount: 10 }, { id: 2, amount: 20 }]);
  });
});

describe('one statement per step field', () => {
  const INVALID: [string, unknown][] = [
    ['sql query', { type: 'sql', output: 'o', query: 'SELECT 1; DROP TABLE sales' }],
    ['filter where', { type: 'filter', input: 'sales', where: 'id = 1; DROP TABLE sales' }],
    ['derive expression', { type: 'derive', input: 'sales', columns: { x: '1); DROP TABLE sales; SELECT (1' } }],
    ['dedupe order_by', { type: 'dedupe', input: 'sales', keys: ['id'], order_by: 'id; DROP TABLE sales' }],
    ['cast type', { type: 'cast', input: 'sales', columns: { amount: 'INT) FROM sales; DROP TABLE sales; SELECT CAST(1 AS INT' } }],
  ];
  for (const [what, spec] of INVALID) {
    it(`${what}: rejected when validated`, () => {
      const result = stepSchema.safeParse(spec);
      assert.equal(result.success, false);
      assert.match(result.error!.issues[0]!.message, /must be one SQL statement/);
    });
  }

  it('and rejected again by the engine when validation was bypassed; the table survives', async () => {
    for (const [what, spec] of INVALID) {
      const err = await stepFails(spec);
      assert.equal(err.code, 'CONFIG', what);
    }
    assert.deepEqual(await t.rows('SELECT count(*) AS n FROM sales'), [{ n: 2 }]);
  });

  const CASES: [string, boolean][] = [
    ['SELECT 1', true], ['SELECT 1;', true], ['SELECT 1 ;  -- done', true], ["SELECT ';' AS s", true], ['SELECT 1 AS ";"', true],
    ['SELECT 1 /* ; */', true], ["SELECT $$a;b$$", true], ['SELECT 1; SELECT 2', false], ["SELECT 'x'; DROP TABLE t", false],
    ['SELECT 1;; SELECT 2', false], ["SELECT 'it''s'; x", false], ['SELECT 1 -- ;\n; DROP TABLE t', false],
  ];
  for (const [sql, single] of CASES) it(`isSingleStatement(${JSON.stringify(sql)}) = ${single}`, () => assert.equal(isSingleStatement(sql), single));
});

describe('FERRY_FILE_ROOTS', () => {
  it('defaults to the working directory; paths outside, or escaping with .., are CONFIG errors', () => {
    assert.deepEqual(fileRoots({}), fileRoots({ FERRY_FILE_ROOTS: process.cwd() }));
    assert.equal(confineToRoots('data/x.csv', {}, {}), 'data/x.csv');
    for (const path of ['/etc/passwd', '../x.csv', 'data/../../x.csv', join(outside, 'secret.csv')]) {
      assert.throws(() => confineToRoots(path, { field: 'path' }, {}), (err: unknown) => err instanceof FerryError && err.code === 'CONFIG' && /outside the allowed file roots/.test(err.message), path);
    }
    assert.equal(confineToRoots(join(outside, 'secret.csv'), {}, { FERRY_FILE_ROOTS: `${dir}:${outside}` }), join(outside, 'secret.csv'));
  });

  it('the file source and sink refuse a path outside the roots, and work inside them', async () => {
    const ctx = { table: t, dataset: 'read_back', workdir: t.workdir, rows: 2, sink: 'out' } as unknown as SourceContext & SinkContext;
    const err = await fileSource.read(fileSource.schema.parse({ type: 'file', path: join(outside, 'secret.csv') }), ctx).catch((e: unknown) => e);
    assert.ok(err instanceof FerryError && err.code === 'CONFIG', String(err));
    const sinkErr = await fileSink.write(fileSink.schema.parse({ type: 'file', input: 'sales', path: join(outside, 'out.csv') }), { ...ctx, dataset: 'sales' }).catch((e: unknown) => e);
    assert.ok(sinkErr instanceof FerryError && sinkErr.code === 'CONFIG', String(sinkErr));
    await assert.rejects(access(join(outside, 'out.csv')));

    // Inside the working directory (the default root), both work, the sink through a unique partial name.
    const here = join('.ferry', 'test-boundary', relative(tmpdir(), dir));
    await mkdir(here, { recursive: true });
    try {
      const out = join(here, 'sales.csv');
      await fileSink.write(fileSink.schema.parse({ type: 'file', input: 'sales', path: out }), { ...ctx, dataset: 'sales' });
      assert.equal(await readFile(out, 'utf8'), 'id,amount\n1,10\n2,20\n');
      await fileSource.read(fileSource.schema.parse({ type: 'file', path: out }), ctx);
      assert.deepEqual(await t.rows('SELECT * FROM read_back ORDER BY id'), [{ id: 1, amount: 10 }, { id: 2, amount: 20 }]);
    } finally {
      await rm(here, { recursive: true, force: true });
    }
  });
});
