/** `ferry viz`: write a self-contained HTML page of a pipeline's graph and a run. */
import { Command } from 'commander';
import type { Cli } from '../context.js';

export function vizCommand(cli: Cli): Command {
  void cli;
  return new Command('viz').description("write a self-contained HTML page of a pipeline's graph and a run");
}
