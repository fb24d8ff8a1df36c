/** longestRecord: quoted fields spanning lines, doubled quotes, a last line without a line break, chunk borders. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { longestRecord } from '../../../src/table/text.js';

const CASES: [string, string, { line: number; bytes: number }][] = [
  ['plain lines', 'a,b\n1,2\n333,4\n', { line: 3, bytes: 5 }],
  ['a quoted field over three lines', 'a,b\n1,"x\ny\nz"\n2,3\n', { line: 2, bytes: 9 }],
  ['doubled quotes inside a field', 'a\n"say ""hi"" now"\nb\n', { line: 2, bytes: 16 }],
  ['no final line break', 'a\nbbbbbb', { line: 2, bytes: 6 }],
  ['a record longer than a read chunk', `h\n${'x'.repeat(200_000)}\ny\n`, { line: 2, bytes: 200_000 }],
  ['a quoted record across chunks with line breaks', `h\n"${'ab\n'.repeat(100_000)}"\ny\n`, { line: 2, bytes: 300_002 }],
];

test('longestRecord', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-text-'));
  try {
    for (const [what, content, expected] of CASES) {
      const file = join(dir, 'f.csv');
      await writeFile(file, content);
      assert.deepEqual(await longestRecord(file, '"', {}), expected, what);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
