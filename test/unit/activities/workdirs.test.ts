/** A worker killed mid-activity leaves no temp folder behind for long: the next worker sweeps it. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sweepWorkdirs, makeWorkdir, isAlive } from '../../../activities/workdirs.js';

test('sweepWorkdirs removes the folders of dead processes and keeps the living ones', async () => {
  const root = await mkdtemp(join(tmpdir(), 'ferry-workdirs-test-'));
  try {
    // A process that has exited: its pid is free (not reused within this test).
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const deadPid = Number(dead.stdout);
    assert.equal(isAlive(deadPid), false);
    const deadDir = join(root, `${deadPid}-abc123`);
    await mkdir(join(deadDir, 'activity-x', 'spill'), { recursive: true });
    await writeFile(join(deadDir, 'pid'), String(deadPid));
    await writeFile(join(deadDir, 'activity-x', 'page-1.ndjson'), '{}\n');
    // No pid file yet (created a moment ago by a starting worker): the pid in its name counts.
    const alive = join(root, `${process.ppid}-zzz999`);
    await mkdir(alive);

    const mine = await makeWorkdir(root);
    const removed = await sweepWorkdirs(root);

    assert.deepEqual(removed, [`${deadPid}-abc123`]);
    assert.equal(existsSync(deadDir), false);
    assert.ok(existsSync(alive));
    assert.ok(existsSync(mine), 'this process\'s own folder stays');
    assert.deepEqual((await readdir(root)).sort(), [`${process.ppid}-zzz999`, mine.split('/').at(-2)!].sort());
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
