/**
 * `ferry worker` as a real process, for tests that kill it: resolved once it polls its task queue.
 * The process is added to `workers` before it is waited for, so a test's cleanup kills it either way.
 *
 *   const worker = await startFerryWorker(h, workers);
 *   worker.kill('SIGKILL');
 */
import { spawn, type ChildProcess } from 'node:child_process';

type Harness = { taskQueue: string; waitFor(what: string, check: () => boolean, timeoutMs?: number): Promise<void> };

export async function startFerryWorker(h: Harness, workers: ChildProcess[]): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['bin/ferry.js', 'worker', '--task-queue', h.taskQueue], {
    env: { ...process.env, FERRY_STAGING: '.ferry/test-staging', FERRY_LOG_LEVEL: 'ERROR' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  workers.push(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  await h.waitFor('the worker to start', () => out.includes('ferry worker on task queue'), 60_000);
  return child;
}
