/**
 * The `ferry` command line: one module per command under ./commands, each with its own arguments,
 * options and help. This module and the command modules import only commander; a command's action
 * imports what it needs when it runs, so `ferry --help` loads nothing heavy.
 */
import { readFileSync } from 'node:fs';
import { Command, type CommanderError } from 'commander';
import type { Cli } from './context.js';
import { validateCommand } from './commands/validate.js';
import { runCommand } from './commands/run.js';
import { workerCommand } from './commands/worker.js';
import { devCommand } from './commands/dev.js';
import { statusCommand } from './commands/status.js';
import { runsCommand } from './commands/runs.js';
import { cancelCommand } from './commands/cancel.js';
import { retryCommand } from './commands/retry.js';
import { historyCommand } from './commands/history.js';
import { pruneCommand } from './commands/prune.js';
import { scheduleCommand } from './commands/schedule.js';
import { terminateCommand } from './commands/terminate.js';
import { vizCommand } from './commands/viz.js';
import { serveCommand } from './commands/serve.js';
import { stateCommand } from './commands/state.js';
import { catalogCommand } from './commands/catalog.js';
import { decideCommands } from './commands/decide.js';

const ENVIRONMENT = `
Environment:
  TEMPORAL_ADDRESS    Temporal frontend (127.0.0.1:7233)
  TEMPORAL_NAMESPACE  namespace (default)
  FERRY_TASK_QUEUE    task queue of runs and workers (ferry)
  FERRY_STAGING       staging store: a directory (.ferry/staging) or s3://bucket/prefix
  FERRY_CONNECTIONS   connections file (config/connections.yaml beside the pipelines)
  FERRY_DEBUG=1       stack traces with errors

Exit codes: 0 success · 1 the run failed or the config is wrong · 2 usage error`;

const version = (): string => (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** Every command, each configured the same way: errors and help through `cli`, no process.exit. */
export function buildProgram(cli: Cli, onCommanderError: (err: CommanderError) => void): Command {
  const program = new Command('ferry')
    .description('durable data pipelines on Temporal: validate, run and watch them')
    .version(version(), '-V, --version', 'print Ferry\'s version')
    .addHelpText('after', ENVIRONMENT)
    .showSuggestionAfterError(true)
    // Ferry's own options (-V) only before a command: `catalog show --version V` is the command's.
    .enablePositionalOptions();
  for (const make of [validateCommand, runCommand, workerCommand, devCommand, scheduleCommand, statusCommand, runsCommand, cancelCommand, terminateCommand, retryCommand, historyCommand, vizCommand, serveCommand, pruneCommand, stateCommand, catalogCommand]) {
    program.addCommand(make(cli));
  }
  for (const cmd of decideCommands(cli)) program.addCommand(cmd);
  const configure = (cmd: Command) => {
    cmd
      // One line per error: commander puts its "(Did you mean …?)" on a line of its own.
      .configureOutput({ writeOut: cli.out, writeErr: cli.err, outputError: (text, write) => write(`${text.trimEnd().replace(/\n+/g, ' ')}\n`) })
      .exitOverride((err) => {
        onCommanderError(err);
        throw err;
      })
      .allowExcessArguments(false)
      .allowUnknownOption(false);
    cmd.commands.forEach(configure);
  };
  configure(program);
  return program;
}

/** Every command path, e.g. ['run'], ['dev', 'start'] (the table-driven CLI tests walk them all). */
export function commandPaths(program: Command): string[][] {
  const walk = (cmd: Command, prefix: string[]): string[][] =>
    cmd.commands.filter((c) => c.name() !== 'help').flatMap((c) => [[...prefix, c.name()], ...walk(c, [...prefix, c.name()])]);
  return walk(program, []);
}
