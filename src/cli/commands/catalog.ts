/**
 * `ferry catalog`: the versions of every dataset runs staged, kept beside the data in
 * $FERRY_STAGING (docs/catalog.md).
 *
 *   ferry catalog list [--pipeline P] [--json]
 *   ferry catalog versions sales_final
 *   ferry catalog show sales_final --version retail-v1 --limit 5
 *   ferry catalog diff sales_final retail-v1 retail-v2 --rows --key sale_id
 *   ferry catalog pin sales_final retail-v1      (unpin to release)
 */
import { Command, Option, InvalidArgumentError } from 'commander';
import type { Cli } from '../context.js';

const count = (v: string): number => {
  if (!/^\d+$/.test(v)) throw new InvalidArgumentError('expected a whole number');
  return Number(v);
};

export function catalogCommand(cli: Cli): Command {
  const catalog = new Command('catalog').description('versions of every staged dataset: list, compare, show rows, pin ($FERRY_STAGING)');
  const pipeline = () => new Option('-p, --pipeline <name>', 'the pipeline (needed when several have a dataset of that name)');
  const json = () => new Option('--json', 'machine-readable output');
  const actions = () => import('../catalog-actions.js');
  catalog.addCommand(new Command('list')
    .description('every dataset in the catalog, with its latest version, rows and run time')
    .addOption(pipeline()).addOption(json())
    .action(async (opts: { pipeline?: string; json?: boolean }) => (await actions()).list(cli, opts)));
  catalog.addCommand(new Command('versions')
    .description('every version of a dataset, newest first: status, rows, sha256, pinned or pruned')
    .argument('<dataset>')
    .addOption(pipeline()).addOption(json())
    .action(async (dataset: string, opts: { pipeline?: string; json?: boolean }) => (await actions()).versions(cli, dataset, opts)));
  catalog.addCommand(new Command('show')
    .description('one version: schema, profile, lineage, where it was delivered, and its first rows')
    .argument('<dataset>')
    .option('-v, --version <version>', 'a version (run key) or latest', 'latest')
    .addOption(new Option('-n, --limit <rows>', 'rows to print').default(10).argParser(count))
    .addOption(pipeline()).addOption(json())
    .action(async (dataset: string, opts: { version: string; limit: number; pipeline?: string; json?: boolean }) => (await actions()).show(cli, dataset, opts)));
  catalog.addCommand(new Command('diff')
    .description('what changed from one version to another: schema, rows, column statistics; with --rows the rows by key')
    .argument('<dataset>').argument('<v1>', 'the older version (or latest)').argument('<v2>', 'the newer version (or latest)')
    .option('--rows', 'compare rows by key: added, removed, changed')
    .option('-k, --key <columns>', 'the key columns, comma-separated (with --rows)')
    .addOption(new Option('-n, --limit <rows>', 'examples of each kind of row change').default(5).argParser(count))
    .addOption(pipeline()).addOption(json())
    .action(async (dataset: string, v1: string, v2: string, opts: { rows?: boolean; key?: string; limit: number; pipeline?: string; json?: boolean }) => (await actions()).diff(cli, dataset, v1, v2, opts)));
  catalog.addCommand(new Command('pin')
    .description('keep a version: retention and ferry prune never delete a pinned version')
    .argument('<dataset>').argument('<version>')
    .option('--reason <text>', 'why (kept with the pin)')
    .addOption(pipeline())
    .action(async (dataset: string, version: string, opts: { pipeline?: string; reason?: string }) => (await actions()).pin(cli, dataset, version, opts)));
  catalog.addCommand(new Command('unpin')
    .description('release a pinned version (retention may then prune it)')
    .argument('<dataset>').argument('<version>')
    .addOption(pipeline())
    .action(async (dataset: string, version: string, opts: { pipeline?: string }) => (await actions()).unpin(cli, dataset, version, opts)));
  return catalog;
}
