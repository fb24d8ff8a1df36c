/**
 * `ferry terminate <id>`: stops a run at once. Temporal closes the run without running any more
 * workflow code: activities in flight are abandoned (a worker learns it at its next heartbeat),
 * nothing is cleaned up and no report is kept (`ferry status` then shows what the history tells).
 * `ferry cancel` is the gentle way: the run stops its activities and records a report.
 */
import { Command } from 'commander';
import type { Cli } from '../context.js';

export const TERMINATE_HELP = `
terminate vs cancel:
  ferry cancel <id>     asks the run to stop: running activities stop at their next heartbeat, the
                        run waits for them and keeps its report (stages, sinks); ferry retry resumes it.
  ferry terminate <id>  stops the run at once, without running any more workflow code: no cleanup,
                        no report; for a run that does not react to cancel (e.g. no worker left).
                        ferry retry works after it too.`;

export function terminateCommand(cli: Cli): Command {
  return new Command('terminate')
    .description('stop a run at once: no cleanup, no report (see cancel)')
    .argument('<workflow-id>', 'the run to stop')
    .option('-r, --reason <text>', 'why, recorded in the run\'s history and shown by ferry status', 'terminated with ferry terminate')
    .addHelpText('after', TERMINATE_HELP)
    .action(async (id: string, opts: { reason: string }) => {
      const [{ dim }, { workflowUrl }, { stopRun }] = await Promise.all([import('../render.js'), import('../../config.js'), import('../stop.js')]);
      const client = await cli.services.connect();
      if (!(await stopRun(cli, client, id, 'terminate', (h) => h.terminate(opts.reason)))) return;
      cli.out(`terminated ${id}: ${opts.reason}\n  ${dim(workflowUrl(id))}\n`);
    });
}
