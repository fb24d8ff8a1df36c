/**
 * The `ferry` command.
 *
 *   ferry validate config/pipelines/retail.yaml
 *   ferry run config/pipelines/retail.yaml --wait --param day=2024-01-05
 *   ferry worker
 */
import { parseArgs } from 'node:util';
import { validateCommand, runCommand, parseParams } from './pipeline-commands.js';
import { statusCommand, runsCommand, historyCommand, workerCommand, devCommand, pruneCommand, cancelCommand } from './ops-commands.js';
import { printError } from './render.js';

const USAGE = `usage: ferry <command> [options]

  validate <pipeline.yaml> [--param k=v]…     check a pipeline; lists every problem with file:line:column
  run <pipeline.yaml> [--wait] [--param k=v]… [--id ID] [--task-queue Q]
                                              start a run; --wait shows progress and the run report
  worker [--task-queue Q]                     run a worker until SIGINT/SIGTERM
  dev [start|stop|status|env]                 local Temporal dev server and MinIO (built if missing)
  status <workflow-id>                        progress of one run
  runs [--limit N]                            recent runs
  cancel <workflow-id>                        stop a run (activities stop at their next heartbeat)
  history <workflow-id> [--out FILE]          export a run's history as JSON (for replay tests)
  prune [--older-than 7d] [--dry-run]         delete staged files of runs last written before then

environment: TEMPORAL_ADDRESS (127.0.0.1:7233), TEMPORAL_NAMESPACE (default), FERRY_TASK_QUEUE (ferry),
             FERRY_STAGING (.ferry/staging or s3://bucket/prefix), FERRY_CONNECTIONS (config/connections.yaml)
`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      param: { type: 'string', multiple: true },
      wait: { type: 'boolean', default: false },
      id: { type: 'string' },
      'task-queue': { type: 'string' },
      out: { type: 'string' },
      limit: { type: 'string' },
      'older-than': { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const need = (what: string): string => {
    if (!positionals[0]) throw new UsageError(`ferry ${command} needs ${what}`);
    return positionals[0];
  };
  switch (command) {
    case 'validate':
      return validateCommand(need('a pipeline file'), parseParams(values.param));
    case 'run':
      return runCommand(need('a pipeline file'), { params: parseParams(values.param), wait: values.wait ?? false, id: values.id, taskQueue: values['task-queue'] });
    case 'worker':
      return workerCommand(values['task-queue']);
    case 'dev':
      return devCommand(positionals[0]);
    case 'status':
      return statusCommand(need('a workflow id'));
    case 'cancel':
      return cancelCommand(need('a workflow id'));
    case 'runs':
      return runsCommand(values.limit ? Number(values.limit) : 20);
    case 'history':
      return historyCommand(need('a workflow id'), values.out);
    case 'prune':
      return pruneCommand(values['older-than'], values['dry-run']);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return 0;
    default:
      throw new UsageError(`unknown command '${command}'`);
  }
}

class UsageError extends Error {}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof UsageError) process.stderr.write(`${err.message}\n\n${USAGE}`);
    else printError(err);
    process.exitCode = 2;
  },
);
