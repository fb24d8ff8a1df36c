/** `ferry worker`: runs a worker (workflow + activities) until SIGINT/SIGTERM, then drains it. */
import { Command, Option } from 'commander';
import { UsageError, type Cli } from '../context.js';
import { taskQueueOption, positiveInt } from '../options.js';

export function workerCommand(cli: Cli): Command {
  return new Command('worker')
    .description('run a worker until SIGINT/SIGTERM; it finishes or hands back its activities before it exits')
    .addOption(taskQueueOption())
    .addOption(new Option('--max-activities <n>', 'activities this worker runs at once').default(4).argParser(positiveInt))
    .addOption(new Option('--metrics <address>', 'serve Prometheus metrics on IP:PORT at /metrics (docs/metrics.md)').env('FERRY_METRICS'))
    .action(async (opts: { taskQueue?: string; maxActivities: number; metrics?: string }, cmd: Command) => {
      // Checked here, not by an option parser: the help path loads nothing outside src/cli/.
      if (opts.metrics !== undefined) opts.metrics = await metricsAddress(opts.metrics, cmd.getOptionValueSource('metrics') === 'env');
      const [{ createWorker }, { closePgPools }, { settings }, { bold, red, green, dim, formatMs }] = await Promise.all([
        import('../../worker.js'), import('../../connect/pg.js'), import('../../config.js'), import('../render.js'),
      ]);
      const s = settings();
      const { worker, connection } = await createWorker({
        taskQueue: opts.taskQueue,
        maxConcurrentActivities: opts.maxActivities,
        metrics: opts.metrics,
        report: (r) => {
          const head = `${new Date().toISOString().slice(11, 19)} ${r.workflowId} ${r.label}${r.attempt > 1 ? ` (attempt ${r.attempt})` : ''}`;
          const line = r.cancelled
            ? `${dim('■')} ${head}: cancelled`
            : r.error
            ? `${red('✖')} ${head}: ${r.error}${r.willRetry ? dim(' — will retry') : dim(' — not retryable')}`
            : `${green('✔')} ${head}: ${r.summary} ${dim(formatMs(r.durationMs))}`;
          cli.out(`${line}\n`);
        },
      });
      cli.out(`ferry worker on task queue ${bold(opts.taskQueue ?? s.taskQueue)} at ${s.temporalAddress} (Ctrl-C to stop)\n`);
      if (opts.metrics) cli.out(`metrics at http://${opts.metrics}/metrics\n`);
      try {
        await worker.run(); // returns once SIGINT/SIGTERM has drained it
      } finally {
        await closePgPools();
        await connection.close();
      }
      cli.out('worker stopped\n');
    });
}

/** The --metrics address as the exporter takes it; a bad one is a usage error worded like commander's. */
async function metricsAddress(value: string, fromEnv: boolean): Promise<string> {
  const { parseMetricsAddress } = await import('../../metrics.js');
  try {
    return parseMetricsAddress(value);
  } catch (err) {
    const what = fromEnv ? `value '${value}' from env 'FERRY_METRICS'` : `argument '${value}'`;
    throw new UsageError(`option '--metrics <address>' ${what} is invalid. ${(err as Error).message}`);
  }
}
