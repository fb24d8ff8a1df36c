/**
 * The `ferry` command: parses the line, runs the command, returns the exit code
 * (0 success · 1 the run failed or the config is wrong · 2 usage error). bin/ferry.js calls it.
 *
 *   ferry validate config/pipelines/retail.yaml
 *   ferry run config/pipelines/retail.yaml --wait --param day=2024-01-05
 *   ferry worker
 */
import { CommanderError } from 'commander';
import { buildProgram } from './program.js';
import { processCli, UsageError, type Cli } from './context.js';

export async function main(argv: string[], cli: Cli = processCli()): Promise<number> {
  const program = buildProgram(cli, () => undefined);
  if (argv.length === 0) {
    program.outputHelp();
    return 0;
  }
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
