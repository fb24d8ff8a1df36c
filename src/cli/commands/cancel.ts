/** `ferry cancel <id>`: asks the run to stop; running activities are cancelled at their next heartbeat. */
import { Command } from 'commander';
import type { Cli } from '../context.js';

export function cancelCommand(cli: Cli): Command {
  return new Command('cancel')
    .description('stop a run; running activities stop at their next heartbeat')
    .argument('<workflow-id>', 'the run to stop')
    .action(async (id: string) => {
      const [{ dim }, { workflowUrl }] = await Promise.all([import('../render.js'), import('../../config.js')]);
      const client = await cli.services.connect();
      await client.workflow.getHandle(id).cancel();
      cli.out(`cancellation requested for ${id}\n  ${dim(workflowUrl(id))}\n`);
    });
}
