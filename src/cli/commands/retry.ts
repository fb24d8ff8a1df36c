/**
 * `ferry retry <id>`: runs a failed or cancelled run again as the same logical run, from its staged
 * data, delivering only what is missing (src/retry.ts decides how). Prints the new run like `ferry run`.
 */
import { Command } from 'commander';
import type { Cli } from '../context.js';
import { waitOption } from '../options.js';

export function retryCommand(cli: Cli): Command {
  return new Command('retry')
    .description('run a failed or cancelled run again as the same logical run; only missing deliveries are made')
    .argument('<workflow-id>', 'the run to retry')
    .addOption(waitOption())
    .option('-q, --task-queue <queue>', 'Temporal task queue to run the retry on (default: the retried run\'s)')
    .action(async (id: string, opts: { wait?: boolean; taskQueue?: string }) => {
      const [{ bold, dim }, { workflowUrl }] = await Promise.all([import('../render.js'), import('../../config.js')]);
      const client = await cli.services.connect();
      const handle = await cli.services.retryRun(client, id, { taskQueue: opts.taskQueue });
      cli.out(`started retry of ${bold(id)} as ${handle.workflowId}\n  ${dim(workflowUrl(handle.workflowId))}\n`);
      if (opts.wait) {
        const { watchRun, workflowPollers } = await import('../watch.js');
        cli.exitCode = await watchRun(cli, { handle, pollers: (q) => workflowPollers(client, q) });
      }
    });
}
