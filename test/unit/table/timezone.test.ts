/**
 * The worker's time zone never changes the data: the same probe run under UTC and under
 * America/Sao_Paulo (and Asia/Kolkata) prints the same values and types.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const probe = fileURLToPath(new URL('./fixtures/tz-probe.ts', import.meta.url));
const run = (tz: string): unknown => JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', probe], { env: { ...process.env, TZ: tz }, encoding: 'utf8' })) as unknown;

test('times read, parsed and cast the same under any worker time zone', () => {
  const utc = run('UTC');
  assert.deepEqual(utc, {
    row: {
      tz: 'UTC',
      at: '2024-03-10 23:30:00+00',
      local: '2024-03-11 02:30:00+00',
      at_epoch: 1710113400,
      local_epoch: 1710124200,
      naive_as_instant: '2024-03-10 23:30:00+00',
      at_text: '2024-03-10 23:30',
    },
    // A timestamp ending in Z stays an instant; %z in a dates step keeps the instant too.
    types: ['id BIGINT', 'at_z TIMESTAMP WITH TIME ZONE', 'local_z TIMESTAMP WITH TIME ZONE'],
  });
  assert.deepEqual(run('America/Sao_Paulo'), utc);
  assert.deepEqual(run('Asia/Kolkata'), utc);
});
