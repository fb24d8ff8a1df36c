/** `ferry terminate`: stop a run at once, without cleanup (use cancel to let it stop cleanly). */
import { Command } from 'commander';
import type { Cli } from '../context.js';

export function terminateCommand(cli: Cli): Command {
  void cli;
  return new Command('terminate').description('stop a run at once, without cleanup (use cancel to let it stop cleanly)');
}
