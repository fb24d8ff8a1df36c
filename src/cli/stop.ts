/**
 * `ferry cancel` and `ferry terminate`: only a running run can be stopped. A run that has already
 * ended is refused with one line (exit 1) saying how it ended; an unknown id is a NotFoundError.
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { Cli } from './context.js';
import { describeRun, listing } from '../runs.js';

/** Runs `stop` on a running run; false (after saying why) when the run has already ended. */
export async function stopRun(cli: Cli, client: Client, id: string, verb: 'cancel' | 'terminate', stop: (h: WorkflowHandle) => Promise<unknown>): Promise<boolean> {
  const handle = client.workflow.getHandle(id);
  const run = listing(await describeRun(handle));
  if (run.status !== 'running') {
    cli.err(`error: run ${id} has already ended (${run.status}${run.closeTime ? ` at ${run.closeTime.toISOString()}` : ''}); only a running run can be ${verb === 'cancel' ? 'cancelled' : 'terminated'}\n`);
    cli.exitCode = 1;
    return false;
  }
  // The run that is running now, not a later one that could reuse the id in between.
  await stop(client.workflow.getHandle(id, run.runId));
  return true;
}
