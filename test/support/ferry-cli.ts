/**
 * `ferry` as a user runs it, in a child process: its exit code, stdout and stderr (and how long it
 * took), colours off.
 *
 *   const res = await ferry(['status', id]);  // { code: 0, stdout: 'retail-…  COMPLETED …', stderr: '', ms: 812 }
 */
import { spawn } from 'node:child_process';

export type FerryResult = { code: number | null; stdout: string; stderr: string; ms: number };

export function ferry(args: string[], env: NodeJS.ProcessEnv = {}): Promise<FerryResult> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/ferry.js', ...args], { env: { ...process.env, NO_COLOR: '1', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: Date.now() - t0 }));
  });
}
