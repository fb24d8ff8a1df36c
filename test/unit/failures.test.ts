/**
 * One list of failure types, imported by workflow and activity code alike: no module keeps a copy
 * of its own (a mirrored list drifts, and then the workflow retries what the activity called final).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { NON_RETRYABLE_TYPES, RETRYABLE_TYPES, UNKNOWN_TYPE } from '../../src/failures.js';

async function sources(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith('.ts')).map((e) => join(e.parentPath, e.name));
}

test('the failure types are listed once, in src/failures.ts, and every code is one of them', async () => {
  assert.deepEqual([...NON_RETRYABLE_TYPES, ...RETRYABLE_TYPES, UNKNOWN_TYPE], ['CONFIG', 'DATA', 'AUTH', 'NOT_FOUND', 'TRANSIENT', 'RESOURCE', 'UNKNOWN']);
  const copies: string[] = [];
  for (const file of [...(await sources('src')), ...(await sources('workflows')), ...(await sources('activities'))]) {
    if (file === join('src', 'failures.ts')) continue;
    // A list literal naming two or more of the non-retryable types is a copy of the list.
    if (/\[\s*'(CONFIG|DATA|AUTH|NOT_FOUND)'\s*,\s*'(CONFIG|DATA|AUTH|NOT_FOUND)'/.test(await readFile(file, 'utf8'))) copies.push(file);
  }
  assert.deepEqual(copies, []);
});
