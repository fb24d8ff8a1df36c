/**
 * Staged Parquet files are kept after a run (for retries, replays and inspection) until pruned:
 *
 *   ferry prune --older-than 7d [--dry-run]
 */
import type { StagedRun, StagingStore } from './store.js';

export async function pruneStaging(store: StagingStore, olderThanMs: number, options: { dryRun?: boolean; now?: number } = {}): Promise<StagedRun[]> {
  const cutoff = (options.now ?? Date.now()) - olderThanMs;
  const old = (await store.runs()).filter((r) => r.lastModified.getTime() < cutoff).sort((a, b) => a.run.localeCompare(b.run));
  if (!options.dryRun) for (const r of old) await store.removeRun(r.run);
  return old;
}
