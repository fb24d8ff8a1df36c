/**
 * Retention: keep the last N completed versions of each dataset (`settings.catalog.keep`; failed
 * and cancelled versions newer than the oldest of them stay too), applied by a completed run to its
 * own pipeline's datasets when it records itself. Pruning a version deletes
 * that version's staged files (every stage's, and only that dataset's: the run's other datasets
 * share its folder), then the run folder if nothing is left in it; the entry stays, marked
 * `pruned`, as history (schema, rows, profile — what anomaly rules and `catalog diff` compare).
 *
 * Never pruned: a pinned version; the newest completed version (`latest`); the current run's;
 * a version a `type: catalog` source of the running pipeline names; one marked in use by a run
 * reading it (ignored when Temporal says that run is no longer running); and, when Temporal can be
 * asked, the version of any running or waiting run of the pipeline (a retry reuses its files).
 *
 *   await applyRetention(store, 'retail', ['sales'], 2, { current: run.key, reads: [] });
 */
import { NotFoundError } from '../errors.js';
import { safeSegment, type StagingStore } from '../staging/store.js';
import { listDatasets, listEntries, pinsOf, inUseOf, readEntry, writeEntry, CATALOG_FOLDER } from './store.js';
import type { CatalogEntry } from './entry.js';

/** What Temporal says of runs (absent in unit tests and tools without a client). */
export type LiveRuns = {
  /** Logical run keys of the pipeline's running (or waiting) runs. */
  running(pipeline: string): Promise<string[]>;
  /** Whether the run with this key is running (or waiting) now. */
  isRunning(key: string): Promise<boolean>;
};

/** A version a `type: catalog` source names explicitly (pipeline absent: any pipeline's). */
export type CatalogRead = { pipeline?: string; dataset: string; version: string };

export type RetentionOptions = { current: string; reads: CatalogRead[]; liveRuns?: LiveRuns; dryRun?: boolean };
export type Pruned = { pipeline: string; dataset: string; version: string; files: string[] };

export async function applyRetention(store: StagingStore, pipeline: string, datasets: string[], keep: number, options: RetentionOptions): Promise<Pruned[]> {
  const running = new Set(options.liveRuns ? await options.liveRuns.running(pipeline) : []);
  running.add(options.current);
  const pruned: Pruned[] = [];
  for (const dataset of datasets) {
    const entries = (await listEntries(store, pipeline, dataset)).filter((e) => !e.pruned);
    const pins = await pinsOf(store, pipeline, dataset);
    const inUse = await inUseOf(store, pipeline, dataset);
    const latest = entries.find((e) => e.status === 'completed');
    const named = new Set(options.reads.filter((r) => r.dataset === dataset && (!r.pipeline || r.pipeline === pipeline)).map((r) => r.version));
    // `keep` counts completed versions (what a user can compare with or deliver again); a failed or
    // cancelled version stays while it is newer than the oldest of those, for its post-mortem.
    const completed = entries.filter((e) => e.status === 'completed');
    if (completed.length <= keep) continue;
    for (const entry of entries.slice(entries.indexOf(completed[keep - 1]!) + 1)) {
      if (entry === latest || pins.has(entry.version) || named.has(entry.version) || running.has(entry.version)) continue;
      if (await readByLiveRun(inUse.get(entry.version) ?? [], options.liveRuns)) continue;
      pruned.push({ pipeline, dataset, version: entry.version, files: options.dryRun ? filesOf(entry) : await pruneVersion(store, entry, `retention (keep ${keep}) after ${options.current}`) });
    }
  }
  return pruned;
}

async function readByLiveRun(readers: { reader: { key: string } }[], live?: LiveRuns): Promise<boolean> {
  for (const r of readers) if (!live || await live.isRunning(r.reader.key)) return true;
  return false;
}

const filesOf = (entry: CatalogEntry): string[] =>
  [...new Set(entry.stages.flatMap((s) => (s.parts?.length ? s.parts.map((p) => p.uri) : [s.uri])))];

/**
 * Deletes one version's staged files and marks its entry pruned; removes the run's folder when
 * that left it empty. Returns the files deleted (URIs).
 */
export async function pruneVersion(store: StagingStore, entry: CatalogEntry, by: string): Promise<string[]> {
  const root = store.uri('');
  const files = filesOf(entry).filter((uri) => uri.startsWith(root));
  for (const uri of files) await store.removeText(uri.slice(root.length));
  await writeEntry(store, { ...entry, pruned: { at: new Date().toISOString(), by } });
  const folder = runFolder(entry);
  if ((await store.list(folder)).length === 0) await store.removeRun(folder);
  return files;
}

/** The staging folder of the run that made a version: `<pipeline>/<run key as a segment>`. */
export const runFolder = (entry: { pipeline: string; version: string }): string => `${entry.pipeline}/${safeSegment(entry.version)}`;

/**
 * Run folders `ferry prune` must leave, with why: those holding a pinned version or one a run is
 * reading (in-use markers).
 */
export async function protectedRuns(store: StagingStore): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const key of await store.list(CATALOG_FOLDER)) {
    const m = /^_catalog\/([a-z][a-z0-9_-]*)\/([A-Za-z_][A-Za-z0-9_]*)\/(pins|in-use)\/([^/]+?)(\.json)?(\/|$)/.exec(key);
    if (!m) continue;
    const [, pipeline, dataset, kind, version] = m;
    const run = `${pipeline}/${version}`;
    if (!out.has(run)) out.set(run, kind === 'pins' ? `${dataset} ${version} is pinned` : `${dataset} ${version} is in use by a running run`);
  }
  return out;
}

/** After `ferry prune` removed a run folder: the run's catalog entries are marked pruned (their files are gone). */
export async function markRunPruned(store: StagingStore, run: string, by: string): Promise<number> {
  const [pipeline, folder] = run.split('/');
  if (!pipeline || !folder) throw new NotFoundError(`not a run folder: ${run}`);
  let marked = 0;
  for (const { dataset } of await listDatasets(store, pipeline)) {
    const entry = await readEntry(store, pipeline, dataset, folder);
    if (!entry || entry.pruned) continue;
    await writeEntry(store, { ...entry, pruned: { at: new Date().toISOString(), by } });
    marked++;
  }
  return marked;
}
