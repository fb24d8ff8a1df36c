/**
 * The `ferry` command: parses the line, runs the command, returns the exit code
 * (0 success · 1 the run failed or the config is wrong · 2 usage error). bin/ferry.js calls it.
 *
 *   ferry validate config/pipelines/retail.yaml
 *   ferry run config/pipelines/retail.yaml --wait --param day=2024-01-05
 *   ferry worker
 */
import { CommanderError, type Command } from 'commander';
import { buildProgram } from './program.js';
import { processCli, UsageError, type Cli } from './context.js';

export async function main(argv: string[], cli: Cli = processCli()): Promise<number> {
  const program = buildProgram(cli, () => undefined);
  if (argv.length === 0) {
    program.outputHelp();
    return 0;
  }
  if (argv[0] === 'help' && argv.length > 1 && !argv.some((a) => a.startsWith('-'))) return helpOf(program, argv.slice(1), cli);
  // --help wins over everything else on the line: commander would first reject a bad option value
  // (`worker --max-activities 0 --help`) instead of printing the help that was asked for.
  const line = argv.includes('--') ? argv.slice(0, argv.indexOf('--')) : argv;
  if (line.includes('--help') || line.includes('-h')) return helpOf(program, commandPath(program, line), cli);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return cli.exitCode;
  } catch (err) {
    // Help and version are "errors" only to stop parsing; everything else commander throws is usage.
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    if (err instanceof UsageError) {
      cli.err(`error: ${err.message}\n`);
      return 2;
    }
    const { printError } = await import('./render.js');
    printError(err, cli.err);
    return 1;
  }
}

/**
 * `ferry help dev stop`: that command's help. commander's own help command looks at one name only
 * (`help run extra` is run's help) and answers an unknown one with the whole overview on stderr.
 */
function helpOf(program: Command, path: string[], cli: Cli): number {
  let cmd = program;
  for (const name of path) {
    const next = cmd.commands.find((c) => c.name() === name || c.aliases().includes(name));
    if (!next) {
      cli.err(`error: unknown command '${path.join(' ')}'\n`);
      return 2;
    }
    cmd = next;
  }
  cmd.outputHelp();
  return 0;
}

/** The command a line names: its leading words that are (sub)command names, options skipped. */
function commandPath(program: Command, argv: string[]): string[] {
  const path: string[] = [];
  let cmd = program;
  for (const arg of argv) {
    if (arg.startsWith('-')) continue;
    const next = cmd.commands.find((c) => c.name() === arg || c.aliases().includes(arg));
    if (!next) break;
    path.push(arg);
    cmd = next;
  }
  return path;
}
