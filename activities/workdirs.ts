/**
 * Work directories of activities. Each worker process keeps its activities' temp folders under one
 * parent folder of its own, named after its pid and holding a pid file, so a worker killed
 * mid-activity (SIGKILL runs no cleanup) leaves nothing behind for long: the next worker that starts
 * on the machine removes every parent whose process is gone.
 *
 *   await sweepWorkdirs();                 // at worker start
 *   const dir = await makeWorkdir();       // per attempt; removed by the boundary afterwards
 *
 * FERRY_WORK_ROOT moves the whole tree (default: `<os temp>/ferry-work`).
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const workRoot = (env: NodeJS.ProcessEnv = process.env): string => env.FERRY_WORK_ROOT || join(tmpdir(), 'ferry-work');

const processDirs = new Map<string, Promise<string>>();

/** This process's parent folder (created once, with its pid file). */
export function processWorkdir(root = workRoot()): Promise<string> {
  let dir = processDirs.get(root);
  if (!dir) {
    dir = (async () => {
      await mkdir(root, { recursive: true });
      const d = await mkdtemp(join(root, `${process.pid}-`));
      await writeFile(join(d, 'pid'), String(process.pid));
      return d;
    })();
    processDirs.set(root, dir);
  }
  return dir;
}

/** A fresh folder for one activity attempt. */
export async function makeWorkdir(root = workRoot()): Promise<string> {
  return mkdtemp(join(await processWorkdir(root), 'activity-'));
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // alive, owned by someone else
  }
}

/** Removes the parent folders of processes that are gone; returns their names. */
export async function sweepWorkdirs(root = workRoot()): Promise<string[]> {
  const removed: string[] = [];
  const entries = await readdir(root, { withFileTypes: true }).catch(() => []);
  for (const e of entries.filter((x) => x.isDirectory())) {
    const dir = join(root, e.name);
    const pid = Number(await readFile(join(dir, 'pid'), 'utf8').catch(() => e.name.split('-')[0]));
    if (!Number.isInteger(pid) || pid <= 0 || (pid !== process.pid && !isAlive(pid))) {
      await rm(dir, { recursive: true, force: true });
      removed.push(e.name);
    }
  }
  return removed;
}
