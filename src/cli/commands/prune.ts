/**
 * `ferry prune`: deletes the staged files of runs last written before a cut-off, except runs that
 * hold a pinned catalog version or one a running run reads, and runs Temporal still has open
 * (running, or waiting for a decision: they will still read their staged data); the catalog
 * entries of removed runs are marked pruned (kept as history).
 */
import { Command, Option } from 'commander';
import type { Cli } from '../context.js';
import { duration } from '../options.js';

export function pruneCommand(cli: Cli): Command {
  return new Command('prune')
    .description('delete the staged Parquet of runs last written before a cut-off ($FERRY_STAGING); pinned catalog versions stay')
    .addOption(new Option('--older-than <age>', 'runs last written longer ago than this').default('7d').argParser(duration))
    .option('-n, --dry-run', 'list what would be removed; remove nothing')
    .option('--offline', 'do not ask Temporal which runs are still open (their staged data may be removed)')
    .action(async (opts: { olderThan: string; dryRun?: boolean; offline?: boolean }) => {
      const [{ stagingFromEnv }, { pruneStagingWithKept }, { parseDuration }, { dim }, { protectedRuns, markRunPruned }] = await Promise.all([
        import('../../staging/store.js'), import('../../staging/prune.js'), import('../../pipeline/duration.js'), import('../render.js'), import('../../catalog/prune.js'),
      ]);
      const dryRun = opts.dryRun ?? false;
      const store = stagingFromEnv();
      const protect = await protectedRuns(store);
      if (!opts.offline) {
        const { openRunSegments } = await import('../open-runs.js');
        let open: Set<string>;
        try {
          open = await openRunSegments(await cli.services.connect());
        } catch (err) {
          throw new Error(`cannot ask Temporal which runs are still open (${(err as Error).message}); nothing was removed — with --offline, prune without asking`);
        }
        for (const r of await store.runs()) if (open.has(r.run.split('/')[1] ?? '') && !protect.has(r.run)) protect.set(r.run, 'its run is still open in Temporal');
      }
      const { removed, kept } = await pruneStagingWithKept(store, parseDuration(opts.olderThan), { dryRun, protect });
      if (!dryRun) for (const r of removed) await markRunPruned(store, r.run, `ferry prune --older-than ${opts.olderThan}`);
      const mb = (removed.reduce((n, r) => n + r.bytes, 0) / 1e6).toFixed(1);
      for (const r of removed) cli.out(`  ${dryRun ? 'would remove' : 'removed'} ${r.run} ${dim(`(${(r.bytes / 1e6).toFixed(1)} MB, last written ${r.lastModified.toISOString()})`)}\n`);
      for (const r of kept) cli.out(`  kept ${r.run} ${dim(`(${r.why})`)}\n`);
      cli.out(`${dryRun ? 'would free' : 'freed'} ${mb} MB in ${store.root}: ${removed.length} run${removed.length === 1 ? '' : 's'} older than ${opts.olderThan}${kept.length ? `; ${kept.length} kept (pinned, in use or still open)` : ''}\n`);
    });
}
