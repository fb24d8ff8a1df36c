/**
 * JSON and NDJSON files keep every digit, as records from an API do: DuckDB's JSON reader would
 * parse 99999999999999.999999 as the double 100000000000000 and re-serialise nested numbers.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TableEngine } from '../../../src/table/engine.js';
import { readTableFile, type ReadOptions } from '../../../src/table/formats.js';
import { DataError } from '../../../src/errors.js';

let dir: string;
let engine: TableEngine;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-jsonin-'));
  engine = await TableEngine.open(join(dir, 'engine'));
});
after(async () => {
  engine.close();
  await rm(dir, { recursive: true, force: true });
});

async function read(name: string, content: string | Buffer, options: ReadOptions = {}): Promise<void> {
  const file = join(dir, name);
  await writeFile(file, content);
  await readTableFile(engine, 'ds', file, options, { file: `s3://lake/${name}` });
}
const types = async (): Promise<string[]> => (await engine.columns('ds')).map((c) => `${c.name} ${c.type}`);

const RECORDS = [
  '{"id": 9007199254740993, "n20": 99999999999999.999999, "big": 12345678901234567890123, "f": 0.1, "nested": {"x": 0.12345678901234567890123, "y": [2.50]}, "at": "2024-03-10T23:30:00Z"}',
  '{"id": -9223372036854775808, "n20": -0.000001, "big": 1, "f": 2.5, "nested": [], "at": "2024-03-11T00:00:00Z"}',
];
const EXACT = [
  { id: '9007199254740993', n20: '99999999999999.999999', big: '12345678901234567890123', f: 0.1, nested: '{"x":0.12345678901234567890123,"y":[2.50]}', at: 1710113400 },
  { id: '-9223372036854775808', n20: '-0.000001', big: '1', f: 2.5, nested: '[]', at: 1710115200 },
];
const exactRows = () => engine.rows('SELECT id::VARCHAR AS id, n20::VARCHAR AS n20, big::VARCHAR AS big, f, nested::VARCHAR AS nested, epoch("at") AS "at" FROM ds');

describe('JSON files keep every digit', () => {
  it('NDJSON: long decimals are DECIMAL, integers beyond 2^53 and 64 bits exact, nested numbers as written, zoned text TIMESTAMPTZ', async () => {
    await read('exact.ndjson', `${RECORDS.join('\n')}\n`);
    assert.deepEqual(await types(), ['id BIGINT', 'n20 DECIMAL(20,6)', 'big DECIMAL(38,0)', 'f DOUBLE', 'nested JSON', 'at TIMESTAMP WITH TIME ZONE']);
    assert.deepEqual(await exactRows(), EXACT);
  });

  it('a JSON array, gzipped NDJSON and a single JSON object read the same values', async () => {
    await read('exact.json', `[${RECORDS.join(',\n')}]`);
    assert.deepEqual(await exactRows(), EXACT);
    await read('exact.ndjson.gz', gzipSync(`${RECORDS.join('\n')}\n`));
    assert.deepEqual(await exactRows(), EXACT);
    await read('one.json', RECORDS[0]!);
    assert.deepEqual(await exactRows(), [EXACT[0]]);
  });

  it('a declared DECIMAL(20,6) takes the number\'s own digits, and the other fields are kept', async () => {
    await read('typed.ndjson', `${RECORDS.join('\n')}\n`, { columns: { n20: 'DECIMAL(20,6)', f: 'DECIMAL(4,2)' } });
    assert.deepEqual(await engine.rows('SELECT n20::VARCHAR AS n20, f::VARCHAR AS f, big::VARCHAR AS big FROM ds'), [
      { n20: '99999999999999.999999', f: '0.10', big: '12345678901234567890123' },
      { n20: '-0.000001', f: '2.50', big: '1' },
    ]);
  });

  it('a record that is not an object, or malformed JSON, fails with the file and line', async () => {
    const notObject = await read('list.ndjson', '{"a":1}\n[1]\n').then(() => undefined, (e: unknown) => e);
    assert.ok(notObject instanceof DataError);
    assert.equal(notObject.describe(), 's3://lake/list.ndjson:2: record 2 is not a JSON object');
    const broken = await read('broken.json', '[{"a": 1},\n {"a": 2.5.1}]').then(() => undefined, (e: unknown) => e);
    assert.ok(broken instanceof DataError);
    assert.equal(broken.context.line, 2);
  });
});

describe('JSON arrays', () => {
  it('arrays of strings, integers, booleans or short fractions are lists; others (long decimals, mixed, objects) JSON text', async () => {
    await read('lists.ndjson', [
      '{"tags": ["a", "", null, "b c"], "ids": [1, -9223372036854775808], "ok": [true], "f": [0.1, 2.5], "long": [0.12345678901234567890123], "mixed": [1, "a"], "objs": [{"a": 1}]}',
      '{"tags": [], "ids": null, "ok": [false, null], "f": [1e3], "long": [1], "mixed": [], "objs": []}',
    ].join('\n'));
    assert.deepEqual(await types(), ['tags VARCHAR[]', 'ids BIGINT[]', 'ok BOOLEAN[]', 'f DOUBLE[]', 'long JSON', 'mixed JSON', 'objs JSON']);
    assert.deepEqual(await engine.rows('SELECT tags, ids::VARCHAR[] AS ids, ok, f, long::VARCHAR AS long FROM ds'), [
      { tags: ['a', '', null, 'b c'], ids: ['1', '-9223372036854775808'], ok: [true], f: [0.1, 2.5], long: '[0.12345678901234567890123]' },
      { tags: [], ids: null, ok: [false, null], f: [1000], long: '[1]' },
    ]);
  });
});
