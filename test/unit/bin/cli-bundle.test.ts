/**
 * The precompiled CLI is used only while it matches the sources: a source file newer than the build
 * makes it stale (the launcher then builds again or runs the sources), and the build answers exactly
 * as the sources do.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { statSync, utimesSync } from 'node:fs';
// @ts-expect-error plain JS launcher module, no types
import { buildBundle, freshBundle } from '../../../bin/cli-bundle.js';

const build = buildBundle as () => Promise<string | undefined>;
const fresh = freshBundle as () => string | undefined;

test('a build is fresh until one of its sources is newer, and fresh again once it is not', async () => {
  const entry = await build();
  assert.ok(entry, 'the CLI builds here');
  assert.equal(fresh(), entry);
  const source = 'src/cli/render.ts';
  const { atime, mtime } = statSync(source);
  try {
    utimesSync(source, atime, new Date(Date.now() + 60_000));
    assert.equal(fresh(), undefined);
  } finally {
    utimesSync(source, atime, mtime);
  }
  assert.equal(fresh(), entry);
});

test('the build and the sources print the same help, version and usage errors', async () => {
  await build();
  for (const args of [['--help'], ['run', '--help'], ['--version'], ['run'], ['nosuch']]) {
    const run = (noBundle: boolean) => spawnSync(process.execPath, ['bin/ferry.js', ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', FERRY_NO_BUNDLE: noBundle ? '1' : '' } });
    const [bundled, sources] = [run(false), run(true)];
    assert.deepEqual([bundled.status, bundled.stdout, bundled.stderr], [sources.status, sources.stdout, sources.stderr], args.join(' '));
  }
});
