/**
 * `ferry run <pipeline.yaml>`: validates, then starts the run as a Temporal workflow and prints its id
 * and Temporal UI link. `--wait` watches it to the end; `--dry-run` prints the plan without connecting.
 */
import { Command, Option } from 'commander';
import { UsageError, type Cli } from '../context.js';
import { paramOption, taskQueueOption, waitOption } from '../options.js';

type RunOptions = { param?: Record<string, string>; wait?: boolean; json?: boolean; id?: string; date?: string; taskQueue?: string; dryRun?: boolean };

export function runCommand(cli: Cli): Command {
  return new Command('run')
    .description('validate a pipeline and start it as a durable run')
    .argument('<pipeline>', 'the pipeline YAML file')
    .addOption(paramOption())
    .addOption(waitOption())
    .option('--date <date>', 'the logical run date: a day (2024-01-05: the deployed schedule\'s run that day, else midnight in its time zone) or an ISO time; the run reads and writes that day\'s data ({run_date}, ${run.date}); default: now')
    .option('--id <workflow-id>', 'the run\'s workflow id (default: <pipeline>-<date> with --date, else <pipeline>-<UTC time>-<random>); a re-run with the same id delivers nothing twice')
    .addOption(taskQueueOption())
    .option('--json', 'with --wait: print the final report as JSON (the shape of its report.json); the live view goes to stderr')
    .addOption(new Option('-n, --dry-run', 'validate and print the plan (sources, steps, sinks, settings); start nothing').conflicts('wait'))
    .action(async (file: string, opts: RunOptions) => {
      const { loadForCli } = await import('../load-for-cli.js');
      // Bad config never reaches Temporal: validation runs before any workflow starts.
      const loaded = await loadForCli(cli, file, opts.param ?? {});
      if (!loaded) return;
      const { settings } = await import('../../config.js');
      const taskQueue = opts.taskQueue ?? settings().taskQueue;
      let time: string | undefined;
      if (opts.date !== undefined) {
        const { runTimeOf } = await import('../../run-date.js');
        time = runTimeOf(opts.date, loaded.spec.schedule?.timezone);
        if (!time) throw new UsageError(`--date ${opts.date}: expected a day (2024-01-05) or an ISO time with a zone (2024-01-05T06:00:00Z)`);
      }
      if (opts.dryRun) {
        const { planText } = await import('../plan-text.js');
        cli.out(planText(loaded, { taskQueue, params: loaded.params }));
        return;
      }
      const [{ startRun, planOf }, { bold, dim }, { workflowUrl }] = await Promise.all([import('../start.js'), import('../render.js'), import('../../config.js')]);
      const client = await cli.services.connect();
      if (opts.date !== undefined && loaded.spec.schedule && (await import('../../run-date.js')).isDay(opts.date)) {
        // A day of a scheduled pipeline is the run its schedule makes that day: the same logical run.
        const { scheduledTimeOn } = await import('../../schedule/index.js');
        const on = await scheduledTimeOn(client, loaded.spec.name, opts.date.trim(), loaded.spec.schedule.timezone);
        if (on.error) throw new UsageError(on.error);
        time = on.time ?? time;
      }
      const handle = await startRun(client, planOf(loaded), { id: opts.id, taskQueue, time, trigger: 'cli' });
      cli.out(`started ${bold(loaded.spec.name)} as ${handle.workflowId}\n  ${dim(workflowUrl(handle.workflowId))}\n`);
      if (opts.wait) {
        const { watchRun, workflowPollers } = await import('../watch.js');
        cli.exitCode = await watchRun(cli, { handle, pollers: (q) => workflowPollers(client, q) }, { json: opts.json });
      }
    });
}
