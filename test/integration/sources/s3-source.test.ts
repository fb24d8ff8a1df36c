/**
 * The s3 source against MinIO: key, prefix (more than 1000 objects: listing pagination), glob,
 * zero matches, objects with different columns, CSV options (encoding, escape, null markers), gzip,
 * zstd, NDJSON, JSON array and Parquet, fan-out parts and incremental reads by key and LastModified.
 * Every value is checked exactly, read back from the dataset the adapter built.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { PutObjectCommand, DeleteObjectsCommand, DeleteBucketCommand, ListObjectsV2Command, CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { s3Source, type S3SourceSpec } from '../../../activities/sources/s3.js';
import type { Progress, SourceContext, SourcePart } from '../../../activities/adapter.js';
import { TableEngine } from '../../../src/table/engine.js';
import { resolveConnection } from '../../../src/connect/connections.js';
import { loadConnections } from '../../../src/pipeline/load.js';
import { s3Client } from '../../../src/connect/s3.js';
import { FerryError } from '../../../src/errors.js';
import type { IncrementalWindow } from '../../../src/pipeline/incremental.js';
import { testEnv, randomId } from '../../support/harness.js';

const bucket = `it7-s3src-${randomId()}`;
let workdir: string;
let s3: S3Client;
let conn: ReturnType<typeof resolveConnection<'s3'>>;

const put = (key: string, body: string | Buffer) => s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));

async function putMany(entries: [string, string | Buffer][], concurrency = 32): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < entries.length) {
      const [k, b] = entries[next++]!;
      await put(k, b);
    }
  }));
}

before(async () => {
  testEnv();
  conn = resolveConnection(await loadConnections('config/connections.yaml'), 'lake', 's3');
  s3 = s3Client(conn);
  workdir = await mkdtemp(join(tmpdir(), 'ferry-s3src-'));
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
});

after(async () => {
  for (;;) {
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    const keys = (listed.Contents ?? []).map((o) => ({ Key: o.Key! }));
    if (keys.length === 0) break;
    await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys } }));
  }
  await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
  await rm(workdir, { recursive: true, force: true });
});

type Read = { error?: unknown; columns?: { name: string; type: string }[]; rows?: Record<string, unknown>[]; result?: Awaited<ReturnType<typeof s3Source.read>>; progress: Progress[] };

function context(table: TableEngine, progress: Progress[], extra: Partial<SourceContext> = {}): SourceContext {
  return {
    workdir: table.workdir, table, dataset: 'data', runKey: 'r', resume: undefined, connections: {}, signal: new AbortController().signal,
    connection: () => conn, progress: (p: Progress) => progress.push(p), parents: [], ...extra,
  } as unknown as SourceContext;
}

async function read(spec: Record<string, unknown>, select = 'SELECT * FROM data', extra: Partial<SourceContext> = {}): Promise<Read> {
  const table = await TableEngine.open(await mkdtemp(join(workdir, 'a-')));
  const progress: Progress[] = [];
  try {
    const parsed = s3Source.schema.parse({ type: 's3', connection: 'lake', bucket, ...spec });
    const result = await s3Source.read(parsed, context(table, progress, extra)).catch((e: unknown) => e);
    if (result instanceof Error) return { error: result, progress };
    return { result: result as Read['result'], columns: await table.columns('data'), rows: await table.rows(select), progress };
  } finally {
    table.close();
  }
}

async function partsOf(spec: Record<string, unknown>, window?: IncrementalWindow): Promise<SourcePart[] | undefined> {
  const table = await TableEngine.open(await mkdtemp(join(workdir, 'p-')));
  try {
    return await s3Source.parts(s3Source.schema.parse({ type: 's3', connection: 'lake', bucket, ...spec }) as S3SourceSpec, context(table, [], window ? { window } : {}));
  } finally {
    table.close();
  }
}

test('one key: CSV with exact numbers; a missing key is NOT_FOUND naming it', async () => {
  await put('one/sales.csv', 'id,amount,name\n1,10.50,a\n2,0.1,\n3,12345678901234567890123,"x,y"\n');
  const r = await read({ key: 'one/sales.csv' }, 'SELECT id::VARCHAR AS id, amount::VARCHAR AS amount, name FROM data ORDER BY id');
  assert.equal(r.error, undefined);
  assert.deepEqual(r.rows, [{ id: '1', amount: '10.50', name: 'a' }, { id: '2', amount: '0.10', name: null }, { id: '3', amount: '12345678901234567890123.00', name: 'x,y' }]);
  assert.equal(r.result?.detail, `s3://${bucket}/one/sales.csv`);
  const missing = await read({ key: 'one/nope.csv' });
  assert.ok(missing.error instanceof FerryError);
  assert.equal(missing.error.code, 'NOT_FOUND');
  assert.equal(missing.error.context.file, `s3://${bucket}/one/nope.csv`);
});

test('a prefix of 1,205 objects (two pages and more) is read whole, in key order, with the source key column', async () => {
  const entries: [string, string][] = Array.from({ length: 1205 }, (_v, i) => [`many/p-${String(i).padStart(4, '0')}.csv`, `n,sq\n${i},${i * i}\n`]);
  await putMany(entries);
  const started = Date.now();
  const r = await read({ prefix: 'many/', filename_column: '_source_key' }, 'SELECT count(*)::INTEGER AS n, sum(n)::BIGINT AS total, sum(sq)::BIGINT AS sq, count(DISTINCT _source_key)::INTEGER AS keys, min(_source_key) AS first, max(_source_key) AS last FROM data');
  assert.equal(r.error, undefined, String(r.error));
  assert.deepEqual(r.rows, [{ n: 1205, total: 1205 * 1204 / 2, sq: 1204 * 1205 * 2409 / 6, keys: 1205, first: 'many/p-0000.csv', last: 'many/p-1204.csv' }]);
  assert.deepEqual(r.progress.filter((p) => p.page).map((p) => p.page), [1, 2]);
  assert.equal(r.result?.detail, `1205 objects of s3://${bucket}/many/ (prefix)`);
  console.log(`# 1205 objects read in ${Date.now() - started} ms`);
});

test('a glob: * stays within a segment, ** crosses them, anchored', async () => {
  await putMany([
    ['glob/2024-01/sales_1.csv', 'v\n1\n'], ['glob/2024-02/sales_2.csv', 'v\n2\n'], ['glob/2024-02/deep/sales_3.csv', 'v\n3\n'],
    ['glob/2023-12/sales_4.csv', 'v\n4\n'], ['glob/2024-03/sales_5.csv.bak', 'v\n5\n'], ['glob/2024-03/other_6.csv', 'v\n6\n'],
  ]);
  const one = await read({ glob: 'glob/2024-*/sales_*.csv', filename_column: 'k' }, 'SELECT v, k FROM data ORDER BY k');
  assert.deepEqual(one.rows, [{ v: 1, k: 'glob/2024-01/sales_1.csv' }, { v: 2, k: 'glob/2024-02/sales_2.csv' }]);
  const deep = await read({ glob: 'glob/**/sales_*.csv' }, 'SELECT v FROM data ORDER BY v');
  assert.deepEqual(deep.rows, [{ v: 1 }, { v: 2 }, { v: 3 }, { v: 4 }]);
});

test('no object matched: NOT_FOUND naming the bucket and the glob; allow_empty gives an empty dataset', async () => {
  const r = await read({ glob: 'nothing/*.csv' });
  assert.ok(r.error instanceof FerryError);
  assert.equal(r.error.code, 'NOT_FOUND');
  assert.equal(r.error.message, `no objects match s3://${bucket}/nothing/*.csv (glob); set allow_empty: true if an empty selection is expected`);
  const empty = await read({ prefix: 'nothing/', allow_empty: true, columns: { id: 'BIGINT' } });
  assert.deepEqual(empty.columns, [{ name: 'id', type: 'BIGINT' }]);
  assert.deepEqual(empty.rows, []);
});

test('objects with different columns: an error naming both objects and the column, or union_by_name; types widen', async () => {
  await putMany([['mixed/a.csv', 'id,amount\n1,5\n'], ['mixed/b.csv', 'id,amount,note\n2,2.25,hi\n']]);
  const r = await read({ prefix: 'mixed/' });
  assert.ok(r.error instanceof FerryError);
  assert.equal(r.error.code, 'DATA');
  assert.equal(r.error.message, `s3://${bucket}/mixed/b.csv has a column "note" that s3://${bucket}/mixed/a.csv does not have: set union_by_name: true to read them together (a column an object lacks is NULL)`);
  const u = await read({ prefix: 'mixed/', union_by_name: true }, 'SELECT id, amount::VARCHAR AS amount, note FROM data ORDER BY id');
  assert.deepEqual(u.rows, [{ id: 1, amount: '5.00', note: null }, { id: 2, amount: '2.25', note: 'hi' }]);
  // A number in one object and text in another: text, with the number's digits as written.
  await putMany([['mixed2/a.ndjson', '{"id":1,"v":12345678901234567890}\n'], ['mixed2/b.ndjson', '{"id":2,"v":"x"}\n']]);
  const text = await read({ prefix: 'mixed2/' }, 'SELECT * FROM data ORDER BY id');
  assert.deepEqual(text.columns, [{ name: 'id', type: 'BIGINT' }, { name: 'v', type: 'VARCHAR' }]);
  assert.deepEqual(text.rows, [{ id: 1, v: '12345678901234567890' }, { id: 2, v: 'x' }]);
  // Widened to text over three objects: every value is the text of its file, not a cast of a wider type.
  await putMany([
    ['mixed3/a.csv', 'id,amount,ts,x\n1,5,2024-01-05T10:00:00Z,1e3\n'],
    ['mixed3/b.csv', 'id,amount,ts,x\n2,5.25,2024-01-06T00:00:00Z,2\n'],
    ['mixed3/c.ndjson', '{"id":3,"amount":"abc","ts":"n/a","x":"-"}\n'],
  ]);
  const exact = await read({ prefix: 'mixed3/' }, 'SELECT * FROM data ORDER BY id');
  assert.equal(exact.error, undefined, String(exact.error));
  assert.deepEqual(exact.rows, [
    { id: 1, amount: '5', ts: '2024-01-05T10:00:00Z', x: '1e3' },
    { id: 2, amount: '5.25', ts: '2024-01-06T00:00:00Z', x: '2' },
    { id: 3, amount: 'abc', ts: 'n/a', x: '-' },
  ]);
});

test('CSV options: latin-1 and utf-16 text read exactly, escape, delimiter, null markers (NULL vs empty string)', async () => {
  await put('enc/latin1.csv', Buffer.from('name;city\nJosé;Münster\nStraße;"Köln ""Dom"""\n', 'latin1'));
  const l = await read({ key: 'enc/latin1.csv', csv: { delimiter: ';', encoding: 'latin-1' } });
  assert.deepEqual(l.columns, [{ name: 'name', type: 'VARCHAR' }, { name: 'city', type: 'VARCHAR' }]);
  assert.deepEqual(l.rows, [{ name: 'José', city: 'Münster' }, { name: 'Straße', city: 'Köln "Dom"' }]);
  const u16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('wort,zahl\nÆble,1\n日本,2\n', 'utf16le')]);
  await put('enc/u16.csv', u16);
  assert.deepEqual((await read({ key: 'enc/u16.csv', csv: { encoding: 'utf-16' } }, 'SELECT * FROM data ORDER BY zahl')).rows, [{ wort: 'Æble', zahl: 1 }, { wort: '日本', zahl: 2 }]);
  // Not decoded: the same latin-1 bytes as UTF-8 are an error at their line.
  const bad = await read({ key: 'enc/latin1.csv', csv: { delimiter: ';' } });
  assert.ok(bad.error instanceof FerryError);
  assert.equal(bad.error.message, 'invalid UTF-8');
  assert.equal(bad.error.context.line, 2);
  await putMany([['opts/nulls.csv', 'id,a,b\n1,NA,""\n2,\\N,x\n3,,"NA"\n'], ['opts/escape.csv', 'id|a\n1|"say \\"hi\\""\n2|""\n3|\n']]);
  const n = await read({ key: 'opts/nulls.csv', csv: { null_values: ['', 'NA', '\\N'] } }, 'SELECT * FROM data ORDER BY id');
  assert.equal(n.error, undefined, String(n.error));
  assert.deepEqual(n.rows, [{ id: 1, a: null, b: '' }, { id: 2, a: null, b: 'x' }, { id: 3, a: null, b: 'NA' }]);
  const e = await read({ key: 'opts/escape.csv', csv: { delimiter: '|', escape: '\\' } }, 'SELECT * FROM data ORDER BY id');
  assert.equal(e.error, undefined, String(e.error));
  assert.deepEqual(e.rows, [{ id: 1, a: 'say "hi"' }, { id: 2, a: '' }, { id: 3, a: null }]);
});

test('gzip and zstd by extension or by option; NDJSON, JSON array and Parquet', async () => {
  const csv = 'id,v\n1,é\n2,""\n3,\n';
  const expected = [{ id: 1, v: 'é' }, { id: 2, v: '' }, { id: 3, v: null }];
  const zst = async (text: string | Buffer) => {
    const f = join(workdir, `z-${randomId()}`);
    await writeFile(f, text);
    execFileSync('zstd', ['-q', '-f', f, '-o', `${f}.zst`]);
    return readFile(`${f}.zst`);
  };
  await putMany([
    ['comp/a.csv.gz', gzipSync(csv)], ['comp/b.csv.zst', await zst(csv)], ['comp/c.data', gzipSync(csv)], ['comp/d.data', await zst(csv)],
    ['comp/e.ndjson.zst', await zst('{"id":1,"v":"é"}\n{"id":2,"v":""}\n{"id":3,"v":null}\n')],
    ['comp/f.json.gz', gzipSync(JSON.stringify(expected))],
    ['comp/l1.csv.zst', await zst(Buffer.from('id,v\n1,é\n', 'latin1'))],
  ]);
  const q = 'SELECT * FROM data ORDER BY id';
  assert.deepEqual((await read({ key: 'comp/a.csv.gz' }, q)).rows, expected);
  assert.deepEqual((await read({ key: 'comp/b.csv.zst' }, q)).rows, expected);
  assert.deepEqual((await read({ key: 'comp/c.data', format: 'csv', compression: 'gzip' }, q)).rows, expected);
  assert.deepEqual((await read({ key: 'comp/d.data', format: 'csv', compression: 'zstd' }, q)).rows, expected);
  assert.deepEqual((await read({ key: 'comp/e.ndjson.zst' }, q)).rows, expected);
  assert.deepEqual((await read({ key: 'comp/f.json.gz' }, q)).rows, expected);
  assert.deepEqual((await read({ key: 'comp/l1.csv.zst', csv: { encoding: 'latin-1' } }, q)).rows, [{ id: 1, v: 'é' }]);
  await put('comp/plain.csv', csv);
  const notZstd = await read({ key: 'comp/plain.csv', compression: 'zstd' });
  assert.ok(notZstd.error instanceof FerryError);
  assert.equal(notZstd.error.code, 'DATA');
  assert.equal(notZstd.error.message, 'not a valid zstd file (unsupported format)');
  // Parquet made by DuckDB, with exact decimals and a timestamp.
  const table = await TableEngine.open(await mkdtemp(join(workdir, 'pq-')));
  const pq = join(table.workdir, 'x.parquet');
  await table.run(`COPY (SELECT * FROM (VALUES (1, 12.34::DECIMAL(10,2), TIMESTAMP '2024-01-05 10:00:00'), (2, NULL, NULL)) t(id, amount, "at")) TO '${pq}' (FORMAT parquet)`);
  table.close();
  await put('comp/g.parquet', await readFile(pq));
  const p = await read({ key: 'comp/g.parquet' }, 'SELECT id, amount::VARCHAR AS amount, "at"::VARCHAR AS "at" FROM data ORDER BY id');
  assert.deepEqual(p.columns?.map((c) => c.type), ['INTEGER', 'DECIMAL(10,2)', 'TIMESTAMP']);
  assert.deepEqual(p.rows, [{ id: 1, amount: '12.34', at: '2024-01-05 10:00:00' }, { id: 2, amount: null, at: null }]);
});

test('fan-out: parts name their keys (or key ranges beyond 1000 objects); each part reads exactly its objects', async () => {
  await putMany(Array.from({ length: 5 }, (_v, i) => [`fan/o${i}.csv`, `i\n${i}\n`] as [string, string]));
  assert.equal(await partsOf({ prefix: 'fan/' }), undefined);
  const parts = await partsOf({ prefix: 'fan/', fan_out: { batch: 2 } });
  assert.deepEqual(parts, [
    { name: 'objects-1-2', keys: ['fan/o0.csv', 'fan/o1.csv'] },
    { name: 'objects-3-4', keys: ['fan/o2.csv', 'fan/o3.csv'] },
    { name: 'object-5', keys: ['fan/o4.csv'] },
  ]);
  const got: unknown[] = [];
  for (const part of parts!) got.push((await read({ prefix: 'fan/', fan_out: { batch: 2 } }, 'SELECT i FROM data ORDER BY i', { part })).rows!.map((r) => r.i));
  assert.deepEqual(got, [[0, 1], [2, 3], [4]]);
  // The 1,205 objects of many/: five key ranges; together they read every object once.
  const ranges = await partsOf({ prefix: 'many/', fan_out: { batch: 250 } });
  assert.equal(ranges?.length, 5);
  assert.deepEqual(ranges?.[1], { name: 'objects-0251-0500', after: 'many/p-0249.csv', through: 'many/p-0499.csv' });
  assert.ok(JSON.stringify(ranges).length < 1000);
  let total = 0;
  let count = 0;
  for (const part of ranges!) {
    const r = await read({ prefix: 'many/', fan_out: { batch: 250 } }, 'SELECT count(*)::INTEGER AS c, sum(n)::BIGINT AS s FROM data', { part });
    count += r.rows![0]!.c as number;
    total += Number(r.rows![0]!.s);
  }
  assert.deepEqual([count, total], [1205, 1205 * 1204 / 2]);
});

test('incremental by key: three runs with objects added between them read each object once', async () => {
  const seen: number[][] = [];
  let watermark: string | undefined;
  const run = async () => {
    const window: IncrementalWindow = { cursor: 'key', ...(watermark ? { start: watermark, watermark } : {}) };
    const r = await read({ prefix: 'inc/', incremental: { cursor: 'key' } }, 'SELECT n FROM data ORDER BY n', { window });
    assert.equal(r.error, undefined, String(r.error));
    seen.push(r.rows!.map((x) => x.n as number));
    watermark = r.result?.watermark ?? watermark;
    return r;
  };
  await putMany([['inc/2024-01-01.csv', 'n\n1\n'], ['inc/2024-01-02.csv', 'n\n2\n']]);
  await run();
  assert.equal(watermark, 'inc/2024-01-02.csv');
  await put('inc/2024-01-03.csv', 'n\n3\n');
  await run();
  const idle = await run(); // nothing new: an empty dataset with the columns of the last object
  assert.deepEqual(idle.columns, [{ name: 'n', type: 'BIGINT' }]);
  await putMany([['inc/2024-01-04.csv', 'n\n4\n'], ['inc/2024-01-05.csv', 'n\n5\n']]);
  await run();
  assert.deepEqual(seen, [[1, 2], [3], [], [4, 5]]);
  assert.equal(watermark, 'inc/2024-01-05.csv');
});

test('incremental by LastModified: the watermark is the newest object read (ISO, ms); fan-out parts carry it', async () => {
  let watermark: string | undefined;
  const seen: string[][] = [];
  const run = async () => {
    const window: IncrementalWindow = { cursor: 'last_modified', ...(watermark ? { start: watermark, watermark } : {}) };
    const r = await read({ prefix: 'lm/', incremental: { cursor: 'last_modified' }, filename_column: 'k' }, 'SELECT k FROM data ORDER BY k', { window });
    assert.equal(r.error, undefined, String(r.error));
    seen.push(r.rows!.map((x) => x.k as string));
    watermark = r.result?.watermark ?? watermark;
  };
  await put('lm/z-first.csv', 'n\n1\n');
  await run();
  assert.match(watermark!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  // LastModified has a one-second resolution on some stores: the next object lands a second later.
  await new Promise((r) => setTimeout(r, 1100));
  await put('lm/a-second.csv', 'n\n2\n');
  await run();
  await run();
  assert.deepEqual(seen, [['lm/z-first.csv'], ['lm/a-second.csv'], []]);
  const parts = await partsOf({ prefix: 'lm/', incremental: { cursor: 'last_modified' }, fan_out: true }, { cursor: 'last_modified', start: '2000-01-01' });
  assert.equal(parts?.length, 2);
  assert.equal(parts?.[0]?.until, watermark);
});

test('exactly one of key, prefix and glob; fan_out needs more than one key', () => {
  const issues = (spec: Record<string, unknown>) => {
    const r = s3Source.schema.safeParse({ type: 's3', connection: 'lake', bucket: 'b', ...spec });
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };
  assert.deepEqual(issues({}), ['key: set one of key, prefix, glob']);
  assert.deepEqual(issues({ key: 'a', glob: 'b*' }), ['glob: set one of key, prefix, glob (not key and glob)']);
  assert.deepEqual(issues({ key: 'a', fan_out: true }), ['fan_out: fan_out needs a prefix or a glob (a key is one object)']);
  assert.deepEqual(issues({ glob: 'a/[b' }), ['glob: glob "a/[b": "[" at 3 is never closed']);
  assert.deepEqual(issues({ prefix: 'a/../b' }), ['prefix: a key may not contain ".." or "." segments']);
});
