/** The records of a JSON file, found by streaming: the same as a full parse, at any chunk boundary. */
import { it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jsonRecords, type RecordText } from '../../../src/table/json-values.js';
import { DataError } from '../../../src/errors.js';

let dir: string;
before(async () => (dir = await mkdtemp(join(tmpdir(), 'ferry-jsonvalues-'))));
after(() => rm(dir, { recursive: true, force: true }));

async function records(name: string, content: string | Buffer): Promise<RecordText[]> {
  const file = join(dir, name);
  await writeFile(file, content);
  const out: RecordText[] = [];
  for await (const r of jsonRecords(file, { file: name })) out.push(r);
  return out;
}
async function fails(name: string, content: string | Buffer): Promise<string> {
  try {
    await records(name, content);
  } catch (err) {
    assert.ok(err instanceof DataError, String(err));
    return err.describe();
  }
  return assert.fail('expected a DataError');
}

it('the elements of a top-level array, with their lines; brackets and quotes inside strings do not count', async () => {
  assert.deepEqual(await records('a.json', '\uFEFF[\n {"a": "x]},\\"["},\n {"b": [1, {"c": 2.50}]} , 7,"s" ,null\n]\n'), [
    { text: '{"a": "x]},\\"["}', line: 2 }, { text: '{"b": [1, {"c": 2.50}]}', line: 3 }, { text: '7', line: 3 }, { text: '"s"', line: 3 }, { text: 'null', line: 3 },
  ]);
  assert.deepEqual(await records('empty.json', ' [ ] '), []);
  assert.deepEqual(await records('nothing.json', ''), []);
});

it('one object, or objects one after another (one per line), are the records', async () => {
  assert.deepEqual(await records('one.json', '{"a": 1}'), [{ text: '{"a": 1}', line: 1 }]);
  assert.deepEqual(await records('lines.json', '{"a": 1}\n{"a": 2}{"a": 3}\n'), [{ text: '{"a": 1}', line: 1 }, { text: '{"a": 2}', line: 2 }, { text: '{"a": 3}', line: 2 }]);
});

it('a large gzipped array is split exactly across read chunks', async () => {
  const items = Array.from({ length: 20_000 }, (_v, i) => `{"id": ${i}, "s": "${'é"'.repeat(i % 7).replace(/"/g, '\\"')}", "n": [${i}.50]}`);
  const got = await records('big.json.gz', gzipSync(`[${items.join(',\n')}]`));
  assert.equal(got.length, items.length);
  assert.deepEqual(got.map((r) => r.text), items);
  assert.equal(got.at(-1)!.line, items.length);
});

it('broken structure is a DataError with the file and line', async () => {
  assert.equal(await fails('open.json', '[{"a": 1},\n {"a": 2'), 'open.json:2: malformed JSON: Unexpected end of JSON input');
  assert.equal(await fails('comma.json', '[{"a": 1},\n]'), 'comma.json:2: malformed JSON: unexpected "]"');
  assert.equal(await fails('nosep.json', '[{"a": 1}\n {"a": 2}]'), 'nosep.json:2: malformed JSON: unexpected "{"');
  assert.equal(await fails('after.json', '[{"a": 1}] x'), 'after.json:1: malformed JSON: unexpected "x"');
  assert.equal(await fails('latin1.json', Buffer.concat([Buffer.from('[{"a": "ok"},\n{"a": "caf'), Buffer.from([0xe9]), Buffer.from('"}]')])), 'latin1.json:2: invalid UTF-8');
});
