/** `ferry schedule`: Temporal Schedules of pipelines: apply, list, describe, pause, unpause, trigger, backfill, delete. */
import { Command } from 'commander';
import type { Cli } from '../context.js';

export function scheduleCommand(cli: Cli): Command {
  void cli;
  return new Command('schedule').description('Temporal Schedules of pipelines: apply, list, describe, pause, unpause, trigger, backfill, delete');
}
