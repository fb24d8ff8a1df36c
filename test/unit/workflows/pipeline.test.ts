/** The workflow keeps its own copy of the non-retryable failure types (it may not import src/ at run time). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NON_RETRYABLE } from '../../../workflows/pipeline.js';
import { NON_RETRYABLE_TYPES } from '../../../src/errors.js';

test('the workflow retries exactly what src/errors.ts calls retryable', () => {
  assert.deepEqual([...NON_RETRYABLE].sort(), [...NON_RETRYABLE_TYPES].sort());
});
