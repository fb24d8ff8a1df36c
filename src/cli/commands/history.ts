/** `ferry history <id>`: a run's event history as JSON, the input of the replay tests. */
import { Command } from 'commander';
import type { Cli } from '../context.js';

export function historyCommand(cli: Cli): Command {
  return new Command('history')
    .description('export a run\'s history as JSON (to stdout, or --out FILE) for replay tests')
    .argument('<workflow-id>', 'the run')
    .option('-o, --out <file>', 'write to this file instead of stdout')
    .action(async (id: string, opts: { out?: string }) => {
      const [{ writeFile }, { historyToJSON }] = await Promise.all([import('node:fs/promises'), import('@temporalio/common/lib/proto-utils.js')]);
      const client = await cli.services.connect();
      const history = await client.workflow.getHandle(id).fetchHistory();
      const json = historyToJSON(history);
      if (opts.out) {
        await writeFile(opts.out, json);
        cli.out(`wrote ${history.events?.length ?? 0} events to ${opts.out}\n`);
      } else {
        cli.out(`${json}\n`);
      }
    });
}
