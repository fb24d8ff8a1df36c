/** CSV read options: encodings turned into UTF-8 exactly, invalid bytes at their line, escape, zstd. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { TableEngine } from '../../../src/table/engine.js';
import { readTableFile } from '../../../src/table/formats.js';
import { FerryError } from '../../../src/errors.js';

async function read(name: string, bytes: Buffer, options: Record<string, unknown>) {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-enc-'));
  const table = await TableEngine.open(dir);
  try {
    await writeFile(join(dir, name), bytes);
    await readTableFile(table, 't', join(dir, name), options, { file: name });
    return await table.rows('SELECT * FROM t');
  } catch (err) {
    return err as FerryError;
  } finally {
    table.close();
    await rm(dir, { recursive: true, force: true });
  }
}

test('latin-1 is exact ISO 8859-1 (é, ß, and 0x80 as U+0080, not €); windows-1252 maps 0x80 to €', async () => {
  const bytes = Buffer.from([...Buffer.from('w\nJos'), 0xe9, 0x0a, 0x53, 0x74, 0x72, 0x61, 0xdf, 0x65, 0x0a, 0x80, 0x0a]);
  assert.deepEqual(await read('a.csv', bytes, { csv: { encoding: 'latin-1' } }), [{ w: 'José' }, { w: 'Straße' }, { w: '\u0080' }]);
  assert.deepEqual(await read('a.csv', bytes, { csv: { encoding: 'windows-1252' } }), [{ w: 'José' }, { w: 'Straße' }, { w: '€' }]);
});

test('utf-16 big-endian by its byte order mark; an invalid sequence is a DATA error at its line', async () => {
  const be = Buffer.from('\uFEFFa,b\nü,1\n', 'utf16le').swap16();
  assert.deepEqual(await read('b.csv', be, { csv: { encoding: 'utf-16' } }), [{ a: 'ü', b: 1 }]);
  const broken = Buffer.concat([Buffer.from('a\nx\ny\n', 'utf16le'), Buffer.from([0x00, 0xd8, 0x41, 0x00])]); // a lone high surrogate on line 4
  const err = await read('c.csv', broken, { csv: { encoding: 'utf-16le' } });
  assert.ok(err instanceof FerryError);
  assert.equal(err.code, 'DATA');
  assert.equal(err.message, 'the text is not valid utf-16le');
  assert.equal(err.context.line, 4);
});

test('escape, and a zstd file read like any other', async () => {
  assert.deepEqual(await read('d.csv', Buffer.from('a\n"x\\"y"\n'), { csv: { escape: '\\' } }), [{ a: 'x"y' }]);
  const dir = await mkdtemp(join(tmpdir(), 'ferry-zst-'));
  await writeFile(join(dir, 'e.csv'), 'a,b\n1,""\n2,\n');
  execFileSync('zstd', ['-q', join(dir, 'e.csv'), '-o', join(dir, 'e.csv.zst')]);
  const { readFile } = await import('node:fs/promises');
  assert.deepEqual(await read('e.csv.zst', await readFile(join(dir, 'e.csv.zst')), {}), [{ a: 1, b: '' }, { a: 2, b: null }]);
  await rm(dir, { recursive: true, force: true });
});
