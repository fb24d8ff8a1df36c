/** An in-process CLI for tests: captured output, and services that record use (or are faked). */
import type { Cli, Services } from '../../../src/cli/context.js';
import { main } from '../../../src/cli/main.js';

export type Captured = { code: number; out: string; err: string; connected: number };

export function testCli(services: Partial<Services> = {}): Cli & { stdout: () => string; stderr: () => string; connected: () => number } {
  let out = '';
  let err = '';
  let connected = 0;
  return {
    out: (t) => void (out += t),
    err: (t) => void (err += t),
    isTTY: false,
    exitCode: 0,
    services: {
      connect: async () => {
        connected += 1;
        throw new Error('this test must not connect to Temporal');
      },
      retryRun: async () => {
        throw new Error('this test must not retry');
      },
      ...services,
    },
    stdout: () => out,
    stderr: () => err,
    connected: () => connected,
  };
}

export async function ferry(argv: string[], services: Partial<Services> = {}): Promise<Captured> {
  const cli = testCli(services);
  const code = await main(argv, cli);
  return { code, out: cli.stdout(), err: cli.stderr(), connected: cli.connected() };
}
