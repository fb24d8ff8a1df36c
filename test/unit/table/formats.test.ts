/**
 * Reading and writing table files with real files in a temp dir and a real DuckDB engine.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import { gzipSync, gunzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TableEngine, type Row } from '../../../src/table/engine.js';
import { readTableFile, writeTableFile, formatFromPath, type ReadOptions, type FileFormat } from '../../../src/table/formats.js';
import { DataError, FerryError, type ErrorContext } from '../../../src/errors.js';

let dir: string;
let engine: TableEngine;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-formats-test-'));
  engine = await TableEngine.open(join(dir, 'engine'));
});

after(async () => {
  engine.close();
  await rm(dir, { recursive: true, force: true });
});

/** Writes `content` to a temp file named `name` and reads it into `dataset`. */
async function read(name: string, content: string | Buffer, options: ReadOptions = {}, context: ErrorContext = {}, dataset = 'ds'): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, content);
  await readTableFile(engine, dataset, file, options, context);
  return file;
}

async function readFails(name: string, content: string | Buffer, options: ReadOptions = {}, context: ErrorContext = {}): Promise<DataError> {
  try {
    await read(name, content, options, context);
  } catch (err) {
    assert.ok(err instanceof DataError, `expected a DataError, got ${String(err)}`);
    return err;
  }
  assert.fail('the file was read but should have failed');
}

const rows = (sql: string): Promise<Row[]> => engine.rows(sql);
const types = async (dataset: string): Promise<string[]> => (await engine.columns(dataset)).map((c) => `${c.name} ${c.type}`);

const SALES_HEADER = 'sale_id,sale_date,customer_id,product_id,quantity,amount,currency\n';

describe('formatFromPath', () => {
  const CASES: [string, FileFormat | undefined][] = [
    ['a.csv', 'csv'], ['a.CSV', 'csv'], ['a.csv.gz', 'csv'], ['a.json', 'json'], ['a.ndjson', 'ndjson'],
    ['a.jsonl', 'ndjson'], ['a.jsonl.gz', 'ndjson'], ['s3://b/k/a.parquet', 'parquet'], ['a.txt', undefined], ['a.csv.zip', undefined],
  ];
  for (const [path, format] of CASES) it(`${path} → ${format}`, () => assert.equal(formatFromPath(path), format));
});

describe('readTableFile', () => {
  it('CSV with a header: types are sniffed (decimal text exactly), quoted delimiters kept, empty fields are NULL', async () => {
    await read('sniff.csv', 'id,name,amount\n1,a,1.5\n2,"b, c",\n3,"say ""hi""",3\n');
    assert.deepEqual(await types('ds'), ['id BIGINT', 'name VARCHAR', 'amount DECIMAL(2,1)']);
    assert.deepEqual(await rows('SELECT * FROM ds ORDER BY id'), [
      { id: 1, name: 'a', amount: 1.5 }, { id: 2, name: 'b, c', amount: null }, { id: 3, name: 'say "hi"', amount: 3 },
    ]);
  });

  it('CSV with declared columns: the declared types are used', async () => {
    await read('declared.csv', `${SALES_HEADER}S1,2024-01-05,C1,P1,2,10.50,EUR\nS2,05/01/2024,C2,P2,1,5.00,USD\n`, {
      columns: { sale_id: 'VARCHAR', sale_date: 'VARCHAR', customer_id: 'VARCHAR', product_id: 'VARCHAR', quantity: 'INTEGER', amount: 'DECIMAL(10,2)', currency: 'VARCHAR' },
    });
    assert.deepEqual(await types('ds'), [
      'sale_id VARCHAR', 'sale_date VARCHAR', 'customer_id VARCHAR', 'product_id VARCHAR', 'quantity INTEGER', 'amount DECIMAL(10,2)', 'currency VARCHAR',
    ]);
    assert.deepEqual(await rows('SELECT * FROM ds ORDER BY sale_id'), [
      { sale_id: 'S1', sale_date: '2024-01-05', customer_id: 'C1', product_id: 'P1', quantity: 2, amount: 10.5, currency: 'EUR' },
      { sale_id: 'S2', sale_date: '05/01/2024', customer_id: 'C2', product_id: 'P2', quantity: 1, amount: 5, currency: 'USD' },
    ]);
  });

  it('CSV without a header, with another delimiter and null values', async () => {
    await read('nohdr.csv', '1;NA\n2;b\n', { csv: { header: false, delimiter: ';', null_values: ['NA'] }, columns: { id: 'INTEGER', name: 'VARCHAR' } });
    assert.deepEqual(await rows('SELECT * FROM ds ORDER BY id'), [{ id: 1, name: null }, { id: 2, name: 'b' }]);
  });

  it('ISO dates become DATE; ambiguous day/month dates stay text for a dates step', async () => {
    await read('dates.csv', 'iso,dmy\n2024-01-05,05/01/2024\n2024-02-06,06/02/2024\n');
    assert.deepEqual(await types('ds'), ['iso DATE', 'dmy VARCHAR']);
    assert.deepEqual((await rows('SELECT dmy FROM ds ORDER BY dmy')).map((r) => r.dmy), ['05/01/2024', '06/02/2024']);
  });

  it('the format comes from context.file (the remote name) before the local path', async () => {
    await read('download.tmp', 'id\n7\n', {}, { file: 's3://demo/raw/ids.csv' });
    assert.deepEqual(await rows('SELECT * FROM ds'), [{ id: 7 }]);
  });

  it('an explicit format wins over the file name', async () => {
    await read('data.txt', '{"id": 1}\n{"id": 2}\n', { format: 'ndjson' });
    assert.deepEqual(await rows('SELECT * FROM ds ORDER BY id'), [{ id: 1 }, { id: 2 }]);
  });

  it('.csv.gz is decompressed', async () => {
    await read('zipped.csv.gz', gzipSync('id,name\n1,a\n2,b\n'));
    assert.deepEqual(await rows('SELECT * FROM ds ORDER BY id'), [{ id: 1, name: 'a' }, { id: 2, name: 'b' }]);
  });

  it('JSON array: keys missing from a record are NULL', async () => {
    await read('arr.json', JSON.stringify([{ id: 1, name: 'a' }, { id: 2, name: 'b', vip: true }]));
    assert.deepEqual(await types('ds'), ['id BIGINT', 'name VARCHAR', 'vip BOOLEAN']);
    assert.deepEqual(await rows('SELECT * FROM ds ORDER BY id'), [{ id: 1, name: 'a', vip: null }, { id: 2, name: 'b', vip: true }]);
  });

  it('JSON with declared columns', async () => {
    await read('typed.json', JSON.stringify([{ id: 1, amount: '2.50' }]), { columns: { id: 'INTEGER', amount: 'DOUBLE' } });
    assert.deepEqual(await types('ds'), ['id INTEGER', 'amount DOUBLE']);
    assert.deepEqual(await rows('SELECT * FROM ds'), [{ id: 1, amount: 2.5 }]);
  });

  it('NDJSON (.ndjson and .jsonl)', async () => {
    await read('rows.ndjson', '{"id":1,"v":"x"}\n{"id":2,"v":null}\n');
    assert.deepEqual(await rows('SELECT * FROM ds ORDER BY id'), [{ id: 1, v: 'x' }, { id: 2, v: null }]);
    await read('rows.jsonl', '{"id":3,"v":"z"}\n');
    assert.deepEqual(await rows('SELECT * FROM ds'), [{ id: 3, v: 'z' }]);
  });

  it('Parquet keeps its types', async () => {
    const file = join(dir, 'made.parquet');
    await engine.writeFile(file, (partial) => engine.run(`COPY (SELECT * FROM (VALUES (1::INTEGER, 'a', DATE '2024-01-02', 1.25::DECIMAL(10,2))) t(id, name, d, amount)) TO '${partial}' (FORMAT parquet)`));
    await readTableFile(engine, 'pq', file, {}, {});
    assert.deepEqual(await types('pq'), ['id INTEGER', 'name VARCHAR', 'd DATE', 'amount DECIMAL(10,2)']);
    assert.deepEqual(await rows('SELECT * FROM pq'), [{ id: 1, name: 'a', d: new Date('2024-01-02T00:00:00.000Z'), amount: 1.25 }]);
  });

  it('reading again replaces the dataset', async () => {
    await read('first.csv', 'a\n1\n2\n', {}, {}, 'again');
    await read('second.csv', 'b\n3\n', {}, {}, 'again');
    assert.deepEqual(await rows('SELECT * FROM again'), [{ b: 3 }]);
  });
});

describe('readTableFile: malformed data', () => {
  const context = { dataset: 'sales', file: 's3://demo/raw/sales.csv' };
  const extraField = `${SALES_HEADER}S1,2024-01-05,C1,P1,2,10.50,EUR\nS2,2024-01-06,C2,P2,1,5.00,USD,extra\nS3,2024-01-07,C3,P3,1,7.25,EUR\n`;

  it('a CSV row with an extra field → DataError with the file and line 3', async () => {
    const err = await readFails('extra.csv', extraField, {}, context);
    assert.equal(err.code, 'DATA');
    assert.equal(err.context.dataset, 'sales');
    assert.equal(err.context.file, 's3://demo/raw/sales.csv');
    assert.equal(err.context.line, 3);
    assert.equal(err.message, 'malformed CSV row: expected 7 fields, found 8');
    assert.ok(err.cause instanceof Error);
    assert.ok(err.describe().startsWith('dataset sales, s3://demo/raw/sales.csv:3'), err.describe());
  });

  it('the extra-field message says expected 7 fields, found 8, and points at field 8', async () => {
    const err = await readFails('extra2.csv', extraField, {}, context);
    assert.equal(err.message, 'malformed CSV row: expected 7 fields, found 8');
    assert.deepEqual(err.context, { dataset: 'sales', file: 's3://demo/raw/sales.csv', line: 3, column: 8 });
  });

  it('a short CSV row → DataError with its line', async () => {
    const err = await readFails('short.csv', 'id,name,amount\n1,a,1\n2,b\n', {}, { file: 'short.csv' });
    assert.equal(err.message, 'malformed CSV row: expected 3 fields, found 2');
    assert.deepEqual(err.context, { file: 'short.csv', line: 3, column: 3 });
  });

  it('a last row with an extra field fails instead of turning the file into zero rows', async () => {
    // DuckDB's sniffer alone reads this as a 3-column file with no data rows.
    const err = await readFails('tail.csv', 'a,b\n1,2\n3,4,5\n', {}, { file: 'tail.csv' });
    assert.equal(err.describe(), 'tail.csv:3:3: malformed CSV row: expected 2 fields, found 3');
  });

  it('a bad row far beyond any sniffing sample is still found, with its line', async () => {
    const good = Array.from({ length: 30_000 }, (_v, i) => `${i},name${i}`).join('\n');
    const err = await readFails('long.csv', `id,name\n${good}\n30000,x,extra\n`, {}, { file: 'long.csv' });
    assert.equal(err.describe(), 'long.csv:30002:3: malformed CSV row: expected 2 fields, found 3');
  });

  it('on_error: quarantine keeps the good rows and moves each bad one, with its line and cause, to <dataset>_rejects', async () => {
    const file = join(dir, 'q.csv');
    await writeFile(file, 'id,name,amount\n1,a,10\n2,b,20,extra\n3,c,abc\n4,d,40\n');
    const result = await readTableFile(engine, 'ds', file, { on_error: 'quarantine', columns: { amount: 'DOUBLE' } }, {});
    assert.deepEqual(result, { rejects: 2 });
    assert.deepEqual(await rows('SELECT id, name, amount FROM ds ORDER BY id'), [{ id: 1, name: 'a', amount: 10 }, { id: 4, name: 'd', amount: 40 }]);
    assert.deepEqual(await rows('SELECT line, field, error, raw FROM ds_rejects ORDER BY line'), [
      { line: 3, field: null, error: 'too many columns', raw: '2,b,20,extra' },
      { line: 4, field: 'amount', error: 'cast', raw: '3,c,abc' },
    ]);
  });

  it('on_error: quarantine is refused for JSON', async () => {
    await assert.rejects(read('q.json', '[{"a":1}]', { on_error: 'quarantine' }), /on_error: quarantine is available for CSV files, not json/);
  });

  it('a malformed row inside a .csv.gz is found too', async () => {
    const err = await readFails('bad.csv.gz', gzipSync('id,name\n1,a\n2,b,c\n'), {}, { file: 'bad.csv.gz' });
    assert.equal(err.context.line, 3);
    assert.equal(err.context.file, 'bad.csv.gz');
    assert.equal(err.message, 'malformed CSV row: expected 2 fields, found 3');
  });

  it('an unclosed quote → DataError at the line where the quote opened', async () => {
    const err = await readFails('quote.csv', 'id,name\n1,"abc\n2,def\n', {}, { file: 'quote.csv' });
    assert.equal(err.code, 'DATA');
    assert.equal(err.message, 'unclosed quote: the quoted field opened on this line never closes');
    assert.deepEqual(err.context, { file: 'quote.csv', line: 2 });
    const later = await readFails('quote2.csv', 'id,name\n1,"two\nlines"\n2,"open\n3,x\n4,y\n', {}, { file: 'quote2.csv' });
    assert.equal(later.describe(), 'quote2.csv:4: unclosed quote: the quoted field opened on this line never closes');
  });

  it('a declared DOUBLE column with "abc" → DataError with line and field', async () => {
    const err = await readFails('dbl.csv', 'id,amount\n1,1.5\n2,abc\n3,2\n', { columns: { id: 'INTEGER', amount: 'DOUBLE' } }, { dataset: 'sales', file: 'dbl.csv' });
    assert.equal(err.code, 'DATA');
    assert.equal(err.message, 'value "abc" is not a valid DOUBLE');
    assert.deepEqual(err.context, { dataset: 'sales', file: 'dbl.csv', line: 3, field: 'amount' });
    assert.equal(err.describe(), 'dataset sales, dbl.csv:3, field amount: value "abc" is not a valid DOUBLE');
  });

  it('malformed JSON → DataError', async () => {
    const err = await readFails('broken.json', '[{"id": 1}, {"id": ', {}, { file: 'broken.json' });
    assert.equal(err.code, 'DATA');
    assert.equal(err.message, 'malformed JSON: Unexpected end of JSON input');
    assert.equal(err.describe(), 'broken.json:1: malformed JSON: Unexpected end of JSON input');
  });

  it('an unknown extension without format → DataError', async () => {
    const err = await readFails('data.bin', 'x', {}, { dataset: 'd' });
    assert.equal(err.message, 'cannot tell the file format from its name: set format: csv | json | ndjson | parquet');
    assert.deepEqual(err.context, { dataset: 'd' });
  });
});

describe('writeTableFile round trips', () => {
  before(async () => {
    await engine.run(`CREATE OR REPLACE TABLE src AS SELECT * FROM (VALUES
      (1::INTEGER, 'a', 1.5::DOUBLE, DATE '2024-01-02', true),
      (2::INTEGER, 'b, "c"', NULL, NULL, false)) t(id, name, amount, d, ok)`);
  });

  const EXPECTED = [
    { id: 1, name: 'a', amount: 1.5, d: new Date('2024-01-02T00:00:00.000Z'), ok: true },
    { id: 2, name: 'b, "c"', amount: null, d: null, ok: false },
  ];
  const CASES: [string, FileFormat][] = [
    ['out.csv', 'csv'], ['out.json', 'json'], ['out.ndjson', 'ndjson'], ['out.parquet', 'parquet'], ['out.csv.gz', 'csv'], ['out.ndjson.gz', 'ndjson'],
  ];
  for (const [name, format] of CASES) {
    it(`${name} (${format})`, async () => {
      const file = join(dir, name);
      await writeTableFile(engine, 'src', file, { format });
      await readTableFile(engine, 'back', file, {}, {});
      assert.deepEqual(await rows('SELECT * FROM back ORDER BY id'), EXPECTED);
      const back = await types('back');
      // CSV text 1.5 is read back exactly, as a decimal.
      assert.deepEqual(back.slice(1), ['name VARCHAR', format === 'csv' ? 'amount DECIMAL(2,1)' : 'amount DOUBLE', 'd DATE', 'ok BOOLEAN']);
      assert.equal(back[0], format === 'parquet' ? 'id INTEGER' : 'id BIGINT');
    });
  }

  it('CSV text: header, quoting and empty NULLs', async () => {
    const file = join(dir, 'text.csv');
    await writeTableFile(engine, 'src', file, { format: 'csv' });
    assert.equal(await readFile(file, 'utf8'), 'id,name,amount,d,ok\n1,a,1.5,2024-01-02,true\n2,"b, ""c""",,,false\n');
  });

  it('CSV without header and with another delimiter, gzipped', async () => {
    const file = join(dir, 'text.csv.gz');
    await writeTableFile(engine, 'src', file, { format: 'csv', csv: { header: false, delimiter: ';' } });
    assert.equal(gunzipSync(await readFile(file)).toString('utf8'), '1;a;1.5;2024-01-02;true\n2;"b, ""c""";;;false\n');
  });

  it('JSON is an array, NDJSON one object per line', async () => {
    const json = join(dir, 'text.json');
    const ndjson = join(dir, 'text.ndjson');
    await writeTableFile(engine, 'src', json, { format: 'json' });
    await writeTableFile(engine, 'src', ndjson, { format: 'ndjson' });
    const records = [
      { id: 1, name: 'a', amount: 1.5, d: '2024-01-02', ok: true },
      { id: 2, name: 'b, "c"', amount: null, d: null, ok: false },
    ];
    assert.deepEqual(JSON.parse(await readFile(json, 'utf8')), records);
    const lines = (await readFile(ndjson, 'utf8')).trimEnd().split('\n');
    assert.deepEqual(lines.map((l) => JSON.parse(l) as unknown), records);
  });

  it('writing a dataset that does not exist fails with a CONFIG error', async () => {
    await assert.rejects(writeTableFile(engine, 'no_such', join(dir, 'x.csv'), { format: 'csv' }), (err: unknown) => {
      assert.ok(err instanceof FerryError);
      assert.equal(err.code, 'CONFIG');
      assert.match(err.message, /^Catalog Error: Table with name no_such does not exist/);
      return true;
    });
  });
});
