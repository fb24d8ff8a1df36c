/**
 * `ferry worker`: runs a worker (workflow + activities) until SIGINT/SIGTERM, then drains it.
 * Logs one line per finished activity attempt, as text or as JSON (`--log-format json`, or
 * FERRY_LOG_FORMAT=json): then every line it writes, on stdout and stderr, is one JSON object.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { UsageError, type Cli } from '../context.js';
import { taskQueueOption, positiveInt } from '../options.js';

const FORMATS = ['text', 'json'] as const;
type Format = (typeof FORMATS)[number];

function logFormat(value: string): Format {
  if (!(FORMATS as readonly string[]).includes(value)) throw new InvalidArgumentError(`expected one of: ${FORMATS.join(', ')}`);
  return value as Format;
}

export function workerCommand(cli: Cli): Command {
  return new Command('worker')
    .description('run a worker until SIGINT/SIGTERM; it finishes or hands back its activities before it exits')
    .addOption(taskQueueOption())
    .addOption(new Option('--max-activities <n>', 'activities this worker runs at once').default(4).argParser(positiveInt))
    .addOption(new Option('--connections <file>', 'connections file: each http connection with rate_limit gets its own rate-limited task queue (docs/connectors.md)')
      .env('FERRY_CONNECTIONS'))
    .addOption(new Option('--metrics <address>', 'serve Prometheus metrics on IP:PORT at /metrics (docs/metrics.md)').env('FERRY_METRICS'))
    .addOption(new Option('--log-format <format>', 'text (one line per activity attempt) or json (one JSON object per line, SDK lines too)')
      .env('FERRY_LOG_FORMAT').default('text').argParser(logFormat))
    .addHelpText('after', `
Logs: one line per finished activity attempt (json: workflowId, runId, pipeline, stage, activity,
dataset or sink, attempt, outcome, durationMs, rows, error). FERRY_LOG_LEVEL (ERROR, WARN, INFO,
DEBUG; default WARN) sets how much the Temporal SDK adds. Secrets are masked. See docs/runs.md.`)
    .action(async (opts: { taskQueue?: string; maxActivities: number; logFormat: Format; metrics?: string; connections?: string }, cmd: Command) => {
      // Checked here, not by an option parser: the help path loads nothing outside src/cli/.
      if (opts.metrics !== undefined) opts.metrics = await metricsAddress(opts.metrics, cmd.getOptionValueSource('metrics') === 'env');
      const [{ createWorker, defaultConnections }, { closePgPools }, { settings }, { bold, red, green, dim, formatMs, rootMessage }, { attemptJson, jsonLine }, { FerryError }, { maskSecrets }] = await Promise.all([
        import('../../worker.js'), import('../../connect/pg.js'), import('../../config.js'), import('../render.js'), import('../../worker-log.js'),
        import('../../errors.js'), import('../../pipeline/interpolate.js'),
      ]);
      const json = opts.logFormat === 'json';
      const s = settings();
      const queue = opts.taskQueue ?? s.taskQueue;
      const info = (msg: string, fields: Record<string, unknown> = {}) => cli.out(json ? jsonLine('info', msg, fields) : `${msg}\n`);
      // In JSON mode even a worker that cannot start, or stops on an error, says so in JSON.
      const fail = (err: unknown): void => {
        if (!json) throw err; // printed by main, one line
        cli.err(jsonLine('error', maskSecrets(err instanceof FerryError ? err.describe() : rootMessage(err)), { taskQueue: queue }));
        cli.exitCode = 1;
      };
      let worker, connection;
      try {
        ({ worker, connection } = await createWorker({
          taskQueue: opts.taskQueue,
          connections: await defaultConnections(opts.connections),
          maxConcurrentActivities: opts.maxActivities,
          logFormat: opts.logFormat,
          metrics: opts.metrics,
          report: (r) => {
            if (json) return cli.out(attemptJson(r));
            const head = `${new Date().toISOString().slice(11, 19)} ${r.workflowId} ${r.label}${r.attempt > 1 ? ` (attempt ${r.attempt})` : ''}`;
            const line = r.cancelled
              ? `${dim('■')} ${head}: cancelled`
              : r.error
              ? `${red('✖')} ${head}: ${r.error}${r.willRetry ? dim(' — will retry') : dim(' — not retried')}`
              : `${green('✔')} ${head}: ${r.summary} ${dim(formatMs(r.durationMs))}`;
            cli.out(`${line}\n`);
          },
        }));
      } catch (err) {
        return fail(err);
      }
      info(json ? `ferry worker on task queue ${queue}` : `ferry worker on task queue ${bold(queue)} at ${s.temporalAddress}, namespace ${s.namespace} (Ctrl-C to stop)`,
        { taskQueue: queue, address: s.temporalAddress, namespace: s.namespace, maxActivities: opts.maxActivities });
      for (const limited of worker.taskQueues.slice(1)) info(`rate-limited task queue ${limited}`, { taskQueue: limited });
      if (opts.metrics) info(`metrics at http://${opts.metrics}/metrics`, { metrics: opts.metrics });
      try {
        await worker.run(); // returns once SIGINT/SIGTERM has drained it
      } catch (err) {
        return fail(err);
      } finally {
        await closePgPools();
        await connection.close();
      }
      info('worker stopped', { taskQueue: queue });
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
