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

/**
 * test/support/worker-process.ts as a real process on the harness's task queue, with `env` on top
 * (e.g. S3_ENDPOINT through a proxy): resolved once it prints `ready <pid>`.
 *
 *   const first = await startWorkerProcess(h, workers, { S3_ENDPOINT: `http://127.0.0.1:${proxy.port}` });
 */
export async function startWorkerProcess(h: Harness, workers: ChildProcess[], env: NodeJS.ProcessEnv = {}): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/worker-process.ts'], {
    env: { ...process.env, FERRY_TASK_QUEUE: h.taskQueue, FERRY_STAGING: '.ferry/test-staging', FERRY_LOG_LEVEL: 'ERROR', FERRY_CONNECTIONS: 'config/connections.yaml', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  workers.push(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  await h.waitFor('the worker to start', () => out.includes(`ready ${child.pid}`), 60_000);
  return child;
}
