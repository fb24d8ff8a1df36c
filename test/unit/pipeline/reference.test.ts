/** docs/reference.md is generated from the schemas; this fails when someone forgot `npm run docs`. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { renderReference } from '../../../src/pipeline/reference.js';

test('docs/reference.md matches the schemas (run `npm run docs` after changing one)', () => {
  assert.equal(readFileSync('docs/reference.md', 'utf8'), renderReference());
});

test('the reference documents every registered adapter with its required fields', () => {
  const text = renderReference();
  for (const heading of ['### `http`', '### `postgres`', '### `s3`', '### `file`', '### `page_number`', '### `dedupe`']) assert.ok(text.includes(heading), heading);
  assert.ok(text.includes('| `table` | string | **required** |'));
  assert.ok(text.includes('| `mode` | `append` \\| `upsert` \\| `replace` \\| `merge` | `"append"` |'));
});
