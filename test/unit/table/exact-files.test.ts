/**
 * Exact values through files: CSV empty strings and NULLs, numbers without float rounding, byte
 * order marks, very long lines, header-only files, JSON `columns` that keep the other fields, and
 * stream errors that become DataErrors naming the configured file and the right line.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TableEngine, type Row } from '../../../src/table/engine.js';
import { readTableFile, writeTableFile, type ReadOptions } from '../../../src/table/formats.js';
import { DataError, type ErrorContext } from '../../../src/errors.js';

let dir: string;
let engine: TableEngine;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-exact-'));
  engine = await TableEngine.open(join(dir, 'engine'));
});
after(async () => {
  engine.close();
  await rm(dir, { recursive: true, force: true });
});

async function read(name: string, content: string | Buffer, options: ReadOptions = {}, context: ErrorContext = {}): Promise<void> {
  const file = join(dir, name);
  await writeFile(file, content);
  await readTableFile(engine, 'ds', file, options, context);
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
const types = async (): Promise<string[]> => (await engine.columns('ds')).map((c) => `${c.name} ${c.type}`);

describe('CSV NULLs and empty strings', () => {
  it('a quoted "" is an empty string; an unquoted empty field and a declared null marker are NULL; a quoted marker is text', async () => {
    await read('nulls.csv', 'id,s,n\n1,"",\n2,a,NA\n3,NA,"NA"\n', { csv: { null_values: ['NA'] }, columns: { id: 'INTEGER' } });
    assert.deepEqual(await rows('SELECT * FROM ds ORDER BY id'), [
      { id: 1, s: '', n: null },
      { id: 2, s: 'a', n: null },
      { id: 3, s: null, n: 'NA' },
    ]);
  });

  it('the sink writes NULL as the first null marker and an empty string as "", which read back the same', async () => {
    await engine.run(`CREATE OR REPLACE TABLE w AS SELECT * FROM (VALUES (1, '', NULL), (2, 'a', 'x')) t(id, s, n)`);
    const file = join(dir, 'nulls-out.csv');
    await writeTableFile(engine, 'w', file, { format: 'csv', csv: { null_values: ['NA'] } });
    assert.equal(await readFile(file, 'utf8'), 'id,"s","n"\n1,"",NA\n2,"a","x"\n');
    await readTableFile(engine, 'ds', file, { csv: { null_values: ['NA'] } }, {});
    assert.deepEqual(await rows('SELECT * FROM ds ORDER BY id'), [{ id: 1, s: '', n: null }, { id: 2, s: 'a', n: 'x' }]);

    const plain = join(dir, 'nulls-default.csv');
    await writeTableFile(engine, 'w', plain, { format: 'csv' });
    assert.equal(await readFile(plain, 'utf8'), 'id,s,n\n1,"",\n2,a,x\n');
    await readTableFile(engine, 'ds', plain, {}, {});
    assert.deepEqual(await rows('SELECT * FROM ds ORDER BY id'), [{ id: 1, s: '', n: null }, { id: 2, s: 'a', n: 'x' }]);
  });
});

describe('CSV numbers keep every digit', () => {
  it('integers wider than BIGINT are HUGEINT, decimal text is DECIMAL, beyond 38 digits VARCHAR; exponents stay DOUBLE', async () => {
    const huge = '1234567890123456789012345678901234567890'; // 40 digits
    await read('numbers.csv', `id,big,dec,wide,sci\n1,12345678901234567890123,1.10,${huge},1e3\n2,-5,22.125,1,2.5\n`);
    assert.deepEqual(await types(), ['id BIGINT', 'big HUGEINT', 'dec DECIMAL(5,3)', 'wide VARCHAR', 'sci DOUBLE']);
    assert.deepEqual(await rows('SELECT big::VARCHAR AS big, dec::VARCHAR AS dec, wide, sci FROM ds ORDER BY id'), [
      { big: '12345678901234567890123', dec: '1.100', wide: huge, sci: 1000 },
      { big: '-5', dec: '22.125', wide: '1', sci: 2.5 },
    ]);
  });

  it('a wider value after many small ones (past any sample) is read exactly: 20,000 integers, then 99999999999999999999.5', async () => {
    const small = Array.from({ length: 20_000 }, (_v, i) => `${i},${i % 100},${(i % 7) / 4}`).join('\n');
    await read('late-wide.csv', `id,n,d\n${small}\n20000,99999999999999999999.5,0.000001\n`);
    assert.deepEqual(await types(), ['id BIGINT', 'n DECIMAL(21,1)', 'd DECIMAL(7,6)']);
    assert.deepEqual(await rows('SELECT n::VARCHAR AS n, d::VARCHAR AS d FROM ds WHERE id IN (3, 20000) ORDER BY id'), [
      { n: '3.0', d: '0.750000' },
      { n: '99999999999999999999.5', d: '0.000001' },
    ]);
  });

  it('digits are counted the same for every way of writing a number (signs, leading zeros, blanks, a bare point)', async () => {
    const cols: Record<string, [string, string, string]> = {
      lone_zero: ['0.5', '-0.25', 'DECIMAL(2,2)'], zeros: ['007.5', '1.25', 'VARCHAR'], blank: [' 1.5', '22.75', 'DECIMAL(4,2)'],
      bare: ['.5', '-5.', 'DECIMAL(2,1)'], zero: ['0', '0.5', 'DECIMAL(1,1)'], neg_zeros: ['-00.125', '3.5', 'DECIMAL(4,3)'],
      wide: ['99999999999999999999.5', '1', 'DECIMAL(21,1)'], cents: ['0.000001', '100', 'DECIMAL(9,6)'], mixed: ['1', '2.5', 'DECIMAL(2,1)'],
    };
    const names = Object.keys(cols);
    await read('digits.csv', `${names.join(',')}\n${[0, 1].map((r) => names.map((n) => cols[n]![r]).join(',')).join('\n')}\n`);
    assert.deepEqual(await types(), names.map((n) => `${n} ${cols[n]![2]}`));
  });

  it('0.1 + 0.2 is exactly 0.3 once read (no float on the way)', async () => {
    await read('cents.csv', 'a,b\n0.1,0.2\n');
    assert.deepEqual(await rows('SELECT (a + b)::VARCHAR AS s FROM ds'), [{ s: '0.3' }]);
  });
});

describe('CSV shape', () => {
  it('a byte order mark is not part of the first name, nor of the first value without a header, and is never written', async () => {
    await read('bom.csv', '\uFEFFid,name\n1,x\n');
    assert.deepEqual(await types(), ['id BIGINT', 'name VARCHAR']);
    const out = join(dir, 'bom-out.csv');
    await writeTableFile(engine, 'ds', out, { format: 'csv' });
    assert.deepEqual([...(await readFile(out)).subarray(0, 3)], [...Buffer.from('id,')]);
    await read('bom-noheader.csv', '\uFEFF7,x\n', { csv: { header: false } });
    assert.deepEqual(await rows('SELECT * FROM ds'), [{ column0: 7, column1: 'x' }]);
  });

  it('a header-only file gives 0 rows with the header\'s columns', async () => {
    await read('header-only.csv', 'a,b,c\n');
    assert.deepEqual(await types(), ['a VARCHAR', 'b VARCHAR', 'c VARCHAR']);
    assert.deepEqual(await rows('SELECT count(*) AS n FROM ds'), [{ n: 0 }]);
  });

  it('a record longer than DuckDB\'s 2 MB line limit is loaded whole: a field, a last line without newline, gzipped, quoted over many lines', async () => {
    const big = 'x'.repeat(3_000_000);
    await read('long-line.csv', `id,txt\n1,${big}\n2,short\n`);
    assert.deepEqual(await rows('SELECT id, length(txt) AS n FROM ds ORDER BY id'), [{ id: 1, n: 3_000_000 }, { id: 2, n: 5 }]);
    await read('long-last.csv', `id,txt\n2,short\n1,${big}`);
    assert.deepEqual(await rows('SELECT id, length(txt) AS n FROM ds ORDER BY id'), [{ id: 1, n: 3_000_000 }, { id: 2, n: 5 }]);
    await read('long.csv.gz', gzipSync(`id,txt\n1,${big}\n`));
    assert.deepEqual(await rows('SELECT id, length(txt) AS n FROM ds ORDER BY id'), [{ id: 1, n: 3_000_000 }]);
    await read('long-quoted.csv', `id,txt\n1,"${'ab\n'.repeat(1_000_000)}"\n2,x\n`);
    assert.deepEqual(await rows('SELECT id, length(txt) AS n FROM ds ORDER BY id'), [{ id: 1, n: 3_000_000 }, { id: 2, n: 1 }]);
  });
});

describe('JSON and NDJSON columns', () => {
  it('declared columns are typed and every other field is kept (NDJSON and JSON)', async () => {
    await read('typed.ndjson', '{"id":1,"amount":"2.50","note":"x"}\n{"id":2,"amount":"3.10","extra":true}\n', { columns: { amount: 'DECIMAL(10,2)' } });
    assert.deepEqual(await types(), ['id BIGINT', 'amount DECIMAL(10,2)', 'note VARCHAR', 'extra BOOLEAN']);
    assert.deepEqual(await rows('SELECT id, amount::VARCHAR AS amount, note, extra FROM ds ORDER BY id'), [
      { id: 1, amount: '2.50', note: 'x', extra: null },
      { id: 2, amount: '3.10', note: null, extra: true },
    ]);
    await read('typed.json', JSON.stringify([{ id: 1, when: '2024-01-01', v: 'a' }]), { columns: { when: 'DATE', missing: 'INTEGER' } });
    assert.deepEqual(await types(), ['id BIGINT', 'when DATE', 'v VARCHAR', 'missing INTEGER']);
  });
});

describe('timestamps with a zone stay instants', () => {
  it('JSON and NDJSON text ending in Z or an offset is TIMESTAMPTZ, naive text stays TIMESTAMP', async () => {
    await read('zoned.ndjson', '{"z":"2024-03-10T23:30:00Z","o":"2024-03-10T23:30:00+02:00","n":"2024-03-10T23:30:00"}\n');
    assert.deepEqual(await types(), ['z TIMESTAMP WITH TIME ZONE', 'o TIMESTAMP WITH TIME ZONE', 'n TIMESTAMP']);
    assert.deepEqual(await rows('SELECT epoch(z) AS z, epoch(o) AS o FROM ds'), [{ z: 1710113400, o: 1710106200 }]);
    await read('zoned.json', JSON.stringify([{ z: '2024-03-10T23:30:00Z' }]));
    assert.deepEqual(await types(), ['z TIMESTAMP WITH TIME ZONE']);
    // Records from an API or a driver (loadNdjson without declared columns) too.
    const file = join(dir, 'api.ndjson');
    await writeFile(file, '{"at":"2024-03-10T23:30:00Z"}\n');
    await engine.loadNdjson('api', [file]);
    assert.deepEqual((await engine.columns('api')).map((c) => c.type), ['TIMESTAMP WITH TIME ZONE']);
  });
});

describe('bad bytes become DataErrors with the configured file and the right line', () => {
  it('a .gz that is not gzip (CSV and NDJSON) fails the read, not the process', async () => {
    const csv = await readFails('fake.csv.gz', 'id,x\n1,2\n', {}, { file: 's3://b/raw/fake.csv.gz' });
    assert.match(csv.message, /^not a valid gzip file/);
    assert.equal(csv.context.file, 's3://b/raw/fake.csv.gz');
    const nd = await readFails('fake.ndjson.gz', '{"a":1}\n', {}, { file: 's3://b/raw/fake.ndjson.gz' });
    assert.equal(nd.context.file, 's3://b/raw/fake.ndjson.gz');
    assert.doesNotMatch(nd.message, new RegExp(dir));
  });

  it('invalid UTF-8 says so, with file and line', async () => {
    const err = await readFails('latin1.csv', Buffer.concat([Buffer.from('id,t\n1,ok\n2,caf'), Buffer.from([0xe9]), Buffer.from('\n3,ok\n')]), {}, { file: 'data/latin1.csv' });
    assert.equal(err.describe(), 'data/latin1.csv:3: invalid UTF-8');
  });

  it('invalid UTF-8 in NDJSON says so, at its own line', async () => {
    const err = await readFails('latin1.ndjson', Buffer.concat([Buffer.from('{"a":"ok"}\n{"a":"caf'), Buffer.from([0xe9]), Buffer.from('"}\n{"a":"ok"}\n')]), {}, { file: 's3://lake/in/latin1.ndjson' });
    assert.equal(err.describe(), 's3://lake/in/latin1.ndjson:2: invalid UTF-8');
  });

  it('malformed NDJSON names the configured key and its own line, never the worker\'s temp path', async () => {
    const err = await readFails('bad.ndjson', '{"a":1}\n{"a":2}\n{"a": oops}\n{"a":4}\n', {}, { file: 's3://lake/in/bad.ndjson' });
    assert.equal(err.context.file, 's3://lake/in/bad.ndjson');
    assert.equal(err.context.line, 3);
    assert.match(err.message, /^malformed JSON: /);
    assert.doesNotMatch(err.describe(), /ferry-exact-/);
  });

  it('a .gz whose content is cut short is a DataError too', async () => {
    const whole = gzipSync(Buffer.from(`id,x\n${'1,2\n'.repeat(10_000)}`));
    const err = await readFails('cut.csv.gz', whole.subarray(0, Math.floor(whole.length / 2)), {}, { file: 'cut.csv.gz' });
    assert.equal(err.context.file, 'cut.csv.gz');
  });
});
