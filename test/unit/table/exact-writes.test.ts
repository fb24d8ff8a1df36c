/**
 * What the file sinks write is what a third-party reader gets back: CSV numbers in their usual
 * text, JSON/NDJSON that any strict parser reads, nested JSON values with every digit.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { TableEngine } from '../../../src/table/engine.js';
import { readTableFile, writeTableFile } from '../../../src/table/formats.js';

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

describe('JSON sink decimals', () => {
  it('a DECIMAL keeps its scale and leading zero, whatever its width (12.10, not 12.1; 0.5, not .5)', async () => {
    await engine.run(`CREATE OR REPLACE TABLE dec AS SELECT * FROM (VALUES (12.10::DECIMAL(12,2), 12.10::DECIMAL(18,2), -0.5::DECIMAL(1,1), 1.50::DECIMAL(5,2))) t(a, b, c, d)`);
    const file = join(dir, 'dec.ndjson');
    await writeTableFile(engine, 'dec', file, { format: 'ndjson' });
    assert.equal(await readFile(file, 'utf8'), '{"a":12.10,"b":12.10,"c":-0.5,"d":1.50}\n');
  });
});

describe('JSON and NDJSON sink values', () => {
  before(async () => {
    await engine.run(`CREATE OR REPLACE TABLE j AS SELECT * FROM (VALUES
      (1, '{"x": 0.12345678901234567890123,\n "b": [2.50, 12345678901234567890123456789012345678901234]}'::JSON, 0.1::DOUBLE, 99999999999999.999999::DECIMAL(20,6), 'a"b'),
      (2, NULL, 'NaN'::DOUBLE, NULL, NULL),
      (3, '[]'::JSON, 'Infinity'::DOUBLE, -0.000001::DECIMAL(20,6), ''),
      (4, 'null'::JSON, '-Infinity'::DOUBLE, 0::DECIMAL(20,6), 'x')) t(id, j, f, d, s)`);
  });
  const expected = [
    '{"id":1,"j":{"x": 0.12345678901234567890123,  "b": [2.50, 12345678901234567890123456789012345678901234]},"f":0.1,"d":99999999999999.999999,"s":"a\\"b"}',
    '{"id":2,"j":null,"f":"NaN","d":null,"s":null}',
    '{"id":3,"j":[],"f":"Infinity","d":-0.000001,"s":""}',
    '{"id":4,"j":null,"f":"-Infinity","d":0.000000,"s":"x"}',
  ];

  it('NDJSON keeps the digits inside JSON columns, one record per line, and writes no NaN or Infinity', async () => {
    const file = join(dir, 'j.ndjson');
    await writeTableFile(engine, 'j', file, { format: 'ndjson' });
    const text = await readFile(file, 'utf8');
    assert.equal(text, `${expected.join('\n')}\n`);
    for (const line of text.trimEnd().split('\n')) JSON.parse(line); // a strict parser reads every line
  });

  it('a JSON array holds the same records; gzipped too; an empty dataset is []', async () => {
    const file = join(dir, 'j.json');
    await writeTableFile(engine, 'j', file, { format: 'json' });
    assert.equal(await readFile(file, 'utf8'), `[\n\t${expected.join(',\n\t')}\n]\n`);
    assert.equal((JSON.parse(await readFile(file, 'utf8')) as unknown[]).length, 4);
    const gz = join(dir, 'j.json.gz');
    await writeTableFile(engine, 'j', gz, { format: 'json' });
    assert.equal(gunzipSync(await readFile(gz)).toString('utf8'), `[\n\t${expected.join(',\n\t')}\n]\n`);
    await engine.run('CREATE OR REPLACE TABLE none AS SELECT * FROM j WHERE false');
    await writeTableFile(engine, 'none', file, { format: 'json' });
    assert.deepEqual(JSON.parse(await readFile(file, 'utf8')), []);
  });
});

describe('CSV sink nested values', () => {
  it('lists, structs and maps are JSON text, which reads back into a list type', async () => {
    await engine.run(`CREATE OR REPLACE TABLE n AS SELECT * FROM (VALUES
      (['a', '', NULL, 'NULL', 'x, "y"'], [1, NULL, -2147483648], {'k': 1.50::DECIMAL(5,2), 's': 'it''s'}, MAP {'m': [1, 2]}),
      ([], [], NULL, NULL)) t(ta, ia, st, mp)`);
    const file = join(dir, 'n.csv');
    await writeTableFile(engine, 'n', file, { format: 'csv' });
    assert.equal(await readFile(file, 'utf8'), [
      'ta,ia,st,mp',
      '"[""a"","""",null,""NULL"",""x, \\""y\\""""]","[1,null,-2147483648]","{""k"":1.5,""s"":""it\'s""}","{""m"":[1,2]}"',
      '[],[],,',
      '',
    ].join('\n'));
    await readTableFile(engine, 'back', file, { columns: { ta: 'VARCHAR[]', ia: 'INTEGER[]' } }, {});
    assert.deepEqual(await engine.rows('SELECT ta, ia FROM back'), [{ ta: ['a', '', null, 'NULL', 'x, "y"'], ia: [1, null, -2147483648] }, { ta: [], ia: [] }]);
  });
});

describe('lists of floats, decimals and JSON', () => {
  it('are strict JSON item by item, in JSON sinks and CSV: NaN as "NaN", DECIMAL with its scale, JSON items as written', async () => {
    await engine.run(`CREATE OR REPLACE TABLE l AS SELECT * FROM (VALUES
      ([1.5, 'NaN'::DOUBLE, NULL, '-Infinity'::DOUBLE], [1.10::DECIMAL(5,2), NULL], [[0.5::DECIMAL(3,2)], []], ['{"x": 0.12345678901234567890123}'::JSON]),
      (NULL, [], NULL, [])) t(f, d, dd, j)`);
    const nd = join(dir, 'l.ndjson');
    await writeTableFile(engine, 'l', nd, { format: 'ndjson' });
    assert.equal(await readFile(nd, 'utf8'), [
      '{"f":[1.5,"NaN",null,"-Infinity"],"d":[1.10,null],"dd":[[0.50],[]],"j":[{"x": 0.12345678901234567890123}]}',
      '{"f":null,"d":[],"dd":null,"j":[]}',
      '',
    ].join('\n'));
    const csv = join(dir, 'l.csv');
    await writeTableFile(engine, 'l', csv, { format: 'csv' });
    assert.equal((await readFile(csv, 'utf8')).split('\n')[1], '"[1.5,""NaN"",null,""-Infinity""]","[1.10,null]","[[0.50],[]]","[{""x"": 0.12345678901234567890123}]"');
  });
});
