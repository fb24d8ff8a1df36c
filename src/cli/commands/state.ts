/**
 * `ferry state show|set|reset`: the watermarks of incremental sources, kept in the staging store
 * ($FERRY_STAGING, the one the workers use) under `_state/<pipeline>/<source>.json`.
 *
 *   ferry state show shop                 every incremental source of pipeline shop
 *   ferry state show shop orders --json   one source, with its recent history
 *   ferry state set shop orders 2024-01-01T00:00:00Z        backfill: the next run starts there
 *   ferry state reset shop orders         the next run starts from incremental.initial
 *
 * `<pipeline>` is a pipeline name or its YAML file; with the file (or config/pipelines/<name>.yaml)
 * the source must be one of its incremental sources.
 */
import { Command, Option } from 'commander';
import type { Cli } from '../context.js';

type Opts = { json?: boolean; type?: string };

export function stateCommand(cli: Cli): Command {
  const state = new Command('state').description('show and move the watermarks of incremental sources ($FERRY_STAGING)');
  const json = () => new Option('--json', 'machine-readable output');
  state.addCommand(new Command('show')
    .description('the watermark of each incremental source: value, type, when and by which run it moved, recent changes')
    .argument('<pipeline>', 'pipeline name or YAML file')
    .argument('[source]', 'one source (default: all with a watermark)')
    .addOption(json())
    .action(async (pipeline: string, source: string | undefined, opts: Opts) => (await import('../state-actions.js')).show(cli, pipeline, source, opts)));
  state.addCommand(new Command('set')
    .description('move a watermark (back or forth) for a backfill: the next run reads from there (minus lookback)')
    .argument('<pipeline>', 'pipeline name or YAML file')
    .argument('<source>', 'the incremental source')
    .argument('<value>', 'e.g. 2024-01-01T00:00:00Z, 2024-01-01 or 1000')
    .addOption(new Option('--type <type>', 'the value\'s type when none is stored yet (or to change it)').choices(['timestamptz', 'timestamp', 'date', 'number', 'text']))
    .addOption(json())
    .action(async (pipeline: string, source: string, value: string, opts: Opts) => (await import('../state-actions.js')).set(cli, pipeline, source, value, opts)));
  state.addCommand(new Command('reset')
    .description('forget a watermark: the next run starts from incremental.initial (or reads everything)')
    .argument('<pipeline>', 'pipeline name or YAML file')
    .argument('[source]', 'one source (default: every source of the pipeline)')
    .addOption(json())
    .action(async (pipeline: string, source: string | undefined, opts: Opts) => (await import('../state-actions.js')).reset(cli, pipeline, source, opts)));
  return state;
}
