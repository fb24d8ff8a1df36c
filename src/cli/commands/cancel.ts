/** `ferry cancel <id>`: asks the run to stop; running activities are cancelled at their next heartbeat. */
import { Command } from 'commander';
import type { Cli } from '../context.js';
import { TERMINATE_HELP } from './terminate.js';

export function cancelCommand(cli: Cli): Command {
  return new Command('cancel')
    .description('stop a run cleanly: its activities stop, its report is kept')
    .argument('<workflow-id>', 'the run to stop')
    .addHelpText('after', TERMINATE_HELP)
    .action(async (id: string) => {
      const [{ dim }, { workflowUrl }, { stopRun }] = await Promise.all([import('../render.js'), import('../../config.js'), import('../stop.js')]);
      const client = await cli.services.connect();
      if (!(await stopRun(cli, client, id, 'cancel', (h) => h.cancel()))) return;
      cli.out(`cancellation requested for ${id}\n  ${dim(workflowUrl(id))}\n`);
    });
}
