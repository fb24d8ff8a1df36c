/** Loads a pipeline for a command; a config problem prints every issue and sets exit code 1. */
import { loadPipeline, SpecError, formatIssue, type LoadedPipeline } from '../pipeline/load.js';
import type { Cli } from './context.js';
import { red } from './render.js';

export async function loadForCli(cli: Cli, file: string, params: Record<string, string>): Promise<LoadedPipeline | undefined> {
  try {
    return await loadPipeline(file, { params });
  } catch (err) {
    if (!(err instanceof SpecError)) throw err;
    cli.err(`${red('✖')} ${err.issues.length} problem${err.issues.length === 1 ? '' : 's'} in the pipeline config:\n${err.issues.map(formatIssue).join('\n')}\n`);
    cli.exitCode = 1;
    return undefined;
  }
}
