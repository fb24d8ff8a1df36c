/** `ferry runs`: the most recent runs, newest first. */
import { Command, Option } from 'commander';
import type { Cli } from '../context.js';
import { positiveInt } from '../options.js';

export function runsCommand(cli: Cli): Command {
  return new Command('runs')
    .description('recent runs, newest first')
    .addOption(new Option('-l, --limit <n>', 'how many runs').default(20).argParser(positiveInt))
    .action(async (opts: { limit: number }) => {
      const { dim, formatMs } = await import('../render.js');
      const client = await cli.services.connect();
      let n = 0;
      cli.out(`${'workflow id'.padEnd(48)} ${'status'.padEnd(12)} ${'started'.padEnd(24)} duration\n`);
      for await (const wf of client.workflow.list({ query: `WorkflowType = 'pipeline'` })) {
        const duration = wf.closeTime ? formatMs(wf.closeTime.getTime() - wf.startTime.getTime()) : '';
        cli.out(`${wf.workflowId.padEnd(48)} ${wf.status.name.padEnd(12)} ${wf.startTime.toISOString().padEnd(24)} ${duration}\n`);
        if (++n >= opts.limit) break;
      }
      if (n === 0) cli.out(dim('no runs yet\n'));
    });
}
