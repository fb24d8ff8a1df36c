/**
 * Staged Parquet files are kept after a run (for retries, replays and inspection) until pruned:
 *
 *   ferry prune --older-than 7d [--dry-run]
 *
 * `protect`: run folders to leave whatever their age (run → why), e.g. those holding a pinned
 * catalog version (src/catalog/prune.ts protectedRuns).
 */
import type { StagedRun, StagingStore } from './store.js';

export type PruneOptions = { dryRun?: boolean; now?: number; protect?: Map<string, string> };

export async function pruneStaging(store: StagingStore, olderThanMs: number, options: PruneOptions = {}): Promise<StagedRun[]> {
  return (await pruneStagingWithKept(store, olderThanMs, options)).removed;
}

/** As pruneStaging, and the old runs it left because they are protected (with why). */
export async function pruneStagingWithKept(store: StagingStore, olderThanMs: number, options: PruneOptions = {}): Promise<{ removed: StagedRun[]; kept: (StagedRun & { why: string })[] }> {
  const cutoff = (options.now ?? Date.now()) - olderThanMs;
  const old = (await store.runs()).filter((r) => r.lastModified.getTime() < cutoff).sort((a, b) => a.run.localeCompare(b.run));
  const kept = old.flatMap((r) => (options.protect?.has(r.run) ? [{ ...r, why: options.protect.get(r.run)! }] : []));
  const removed = old.filter((r) => !options.protect?.has(r.run));
  if (!options.dryRun) for (const r of removed) await store.removeRun(r.run);
  return { removed, kept };
}
