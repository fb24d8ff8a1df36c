/**
 * What every command's action gets: where to write, whether that is a terminal, and the exit code it
 * sets. Tests pass their own writers (and fake services), so commands run in-process without
 * touching the real stdout.
 *
 *   const cli = processCli();
 *   cli.out('started\n'); cli.exitCode = 1;
 */
import type { Client, WorkflowHandle } from '@temporalio/client';

export type Cli = {
  out: (text: string) => void;
  err: (text: string) => void;
  /** Live views redraw in place only on a terminal; elsewhere (logs, CI, pipes) they print lines. */
  isTTY: boolean;
  /** 0 success · 1 the run failed or the config is wrong · 2 usage (set by main for commander errors). */
  exitCode: number;
  /** Services the commands use; tests replace them with fakes. */
  services: Services;
};

export type Services = {
  connect: () => Promise<Client>;
  retryRun: (client: Client, workflowId: string, options?: { taskQueue?: string }) => Promise<WorkflowHandle>;
};

/** The real services, imported only when a command needs them (so `--help` loads nothing heavy). */
export const realServices: Services = {
  connect: async () => (await import('../client.js')).connectClient(),
  retryRun: async (client, id, options) => (await import('../retry.js')).retryRun(client, id, options),
};

export function processCli(): Cli {
  return {
    out: (text) => void process.stdout.write(text),
    err: (text) => void process.stderr.write(text),
    isTTY: !!process.stdout.isTTY,
    exitCode: 0,
    services: realServices,
  };
}

/** A usage problem found after commander parsed the line (e.g. `--param` without `=`): exit code 2. */
export class UsageError extends Error {}
