/** `ferry serve`: serve pipeline views, the run list and live run pages, with a read-only JSON API. */
import { Command } from 'commander';
import type { Cli } from '../context.js';

export function serveCommand(cli: Cli): Command {
  void cli;
  return new Command('serve').description('serve pipeline views, the run list and live run pages, with a read-only JSON API');
}
