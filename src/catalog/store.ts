/**
 * The catalog lives in the staging store beside the data it describes (a local folder or S3, no
 * extra server), under `_catalog/`, which `ferry prune` never treats as a run:
 *
 *   _catalog/<pipeline>/<dataset>/versions/<version>.json        the entry (entry.ts)
 *   _catalog/<pipeline>/<dataset>/pins/<version>.json            `ferry catalog pin`: never pruned
 *   _catalog/<pipeline>/<dataset>/in-use/<version>/<reader>.json a running run reads it (type: catalog)
 *   _catalog/_readers/<pipeline>/<run>/<pipeline>.<dataset>.json what that run marked, to release it
 *
 * `<version>` is the logical run key made one safe path segment (as the run's staging folder is).
 *
 *   await writeEntry(store, entry);
 *   const entries = await listEntries(store, { pipeline: 'retail', dataset: 'sales' });
 */
import { z } from 'zod';
import { NotFoundError, ConfigError, DataError } from '../errors.js';
import { safeSegment, CATALOG_FOLDER, type StagingStore } from '../staging/store.js';
import { entrySchema, newestFirst, type CatalogEntry } from './entry.js';

export { CATALOG_FOLDER };
const READERS = '_readers';

export const datasetFolder = (pipeline: string, dataset: string): string => `${CATALOG_FOLDER}/${pipeline}/${dataset}`;
export const entryKey = (pipeline: string, dataset: string, version: string): string => `${datasetFolder(pipeline, dataset)}/versions/${safeSegment(version)}.json`;
export const pinKey = (pipeline: string, dataset: string, version: string): string => `${datasetFolder(pipeline, dataset)}/pins/${safeSegment(version)}.json`;
const inUseFolder = (pipeline: string, dataset: string): string => `${datasetFolder(pipeline, dataset)}/in-use`;
const readerFolder = (reader: Reader): string => `${CATALOG_FOLDER}/${READERS}/${reader.pipeline}/${safeSegment(reader.key)}`;

/** A run that reads a version: its pipeline and logical run key. */
export type Reader = { pipeline: string; key: string };
export type Pin = { version: string; pinnedAt: string; by: string; reason?: string };
const pinSchema = z.object({ version: z.string(), pinnedAt: z.string(), by: z.string(), reason: z.string().optional() });
const useSchema = z.object({ pipeline: z.string(), dataset: z.string(), version: z.string(), reader: z.object({ pipeline: z.string(), key: z.string() }), since: z.string() });
export type InUse = z.infer<typeof useSchema>;

const ENTRY_KEY = /^_catalog\/([a-z][a-z0-9_-]*)\/([A-Za-z_][A-Za-z0-9_]*)\/versions\/([^/]+)\.json$/;

export async function writeEntry(store: StagingStore, entry: CatalogEntry): Promise<void> {
  await store.writeText(entryKey(entry.pipeline, entry.dataset, entry.version), `${JSON.stringify(entry, null, 2)}\n`);
}

export async function readEntry(store: StagingStore, pipeline: string, dataset: string, version: string): Promise<CatalogEntry | undefined> {
  const key = entryKey(pipeline, dataset, version);
  const got = await store.readText(key);
  return got && parseEntry(got.text, store.uri(key));
}

function parseEntry(text: string, where: string): CatalogEntry {
  try {
    return entrySchema.parse(JSON.parse(text));
  } catch (err) {
    throw new DataError(`catalog entry ${where} is not a valid entry: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`, { file: where }, { cause: err });
  }
}

/** The datasets the catalog knows, as `{ pipeline, dataset }`, sorted. */
export async function listDatasets(store: StagingStore, pipeline?: string): Promise<{ pipeline: string; dataset: string }[]> {
  const seen = new Map<string, { pipeline: string; dataset: string }>();
  for (const key of await store.list(pipeline ? `${CATALOG_FOLDER}/${pipeline}` : CATALOG_FOLDER)) {
    const m = ENTRY_KEY.exec(key);
    if (m) seen.set(`${m[1]}/${m[2]}`, { pipeline: m[1]!, dataset: m[2]! });
  }
  return [...seen.values()].sort((a, b) => a.pipeline.localeCompare(b.pipeline) || a.dataset.localeCompare(b.dataset));
}

/** Every version of one dataset, newest first. */
export async function listEntries(store: StagingStore, pipeline: string, dataset: string): Promise<CatalogEntry[]> {
  const keys = (await store.list(`${datasetFolder(pipeline, dataset)}/versions`)).filter((k) => ENTRY_KEY.test(k));
  const entries = await mapLimit(keys, 8, async (key) => {
    const got = await store.readText(key);
    return got ? parseEntry(got.text, store.uri(key)) : undefined;
  });
  return entries.filter((e): e is CatalogEntry => e !== undefined).sort(newestFirst);
}

/**
 * The pipeline of a dataset named without one: the only pipeline that has it, else a ConfigError
 * listing them (or a NotFoundError listing the datasets there are). `reader` is the pipeline of a
 * `type: catalog` source: it records its own dataset of the source's name, so it counts only when
 * no other pipeline has the dataset (else its second run would need `pipeline:`).
 */
export async function pipelineOf(store: StagingStore, dataset: string, pipeline?: string, reader?: string): Promise<string> {
  const all = await listDatasets(store);
  let matches = all.filter((d) => d.dataset === dataset && (!pipeline || d.pipeline === pipeline));
  if (!pipeline && reader && matches.some((m) => m.pipeline !== reader)) matches = matches.filter((m) => m.pipeline !== reader);
  if (matches.length === 1) return matches[0]!.pipeline;
  if (matches.length > 1) {
    throw new ConfigError(`dataset ${dataset} is in several pipelines (${matches.map((m) => m.pipeline).join(', ')}): name one with --pipeline`);
  }
  const known = all.filter((d) => !pipeline || d.pipeline === pipeline).map((d) => (pipeline ? d.dataset : `${d.pipeline}/${d.dataset}`));
  throw new NotFoundError(`no dataset ${dataset}${pipeline ? ` of pipeline ${pipeline}` : ''} in the catalog at ${store.root}; datasets: ${known.join(', ') || 'none'}`);
}

/**
 * One version: an exact version, or `latest` (the newest completed one with its files). A missing
 * version is a NotFoundError naming the nearest versions (by name), so a typo is one look away.
 */
export async function resolveVersion(store: StagingStore, pipeline: string, dataset: string, version: string): Promise<CatalogEntry> {
  const entries = await listEntries(store, pipeline, dataset);
  if (version === 'latest') {
    const latest = entries.find((e) => e.status === 'completed' && !e.pruned);
    if (!latest) throw new NotFoundError(`dataset ${pipeline}/${dataset} has no completed version with its data (versions: ${entries.map((e) => `${e.version} ${e.pruned ? 'pruned' : e.status}`).join(', ') || 'none'})`);
    return latest;
  }
  const found = entries.find((e) => e.version === version) ?? entries.find((e) => safeSegment(e.version) === safeSegment(version));
  if (found) return found;
  const near = nearest(version, entries.map((e) => e.version), 3);
  throw new NotFoundError(`dataset ${pipeline}/${dataset} has no version ${version}; nearest: ${near.join(', ') || 'none (no versions)'}`);
}

/** The `n` names closest to `wanted` (edit distance; ties newest-listed first). */
export function nearest(wanted: string, names: string[], n: number): string[] {
  return names.map((name, i) => ({ name, i, d: distance(wanted, name) })).sort((a, b) => a.d - b.d || a.i - b.i).slice(0, n).map((x) => x.name);
}

function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}

export async function pinsOf(store: StagingStore, pipeline: string, dataset: string): Promise<Map<string, Pin>> {
  const pins = new Map<string, Pin>();
  for (const key of await store.list(`${datasetFolder(pipeline, dataset)}/pins`)) {
    const got = await store.readText(key);
    if (got) {
      const pin = pinSchema.parse(JSON.parse(got.text));
      pins.set(pin.version, pin);
    }
  }
  return pins;
}

export async function pinVersion(store: StagingStore, entry: CatalogEntry, by: string, reason?: string): Promise<void> {
  const pin: Pin = { version: entry.version, pinnedAt: new Date().toISOString(), by, ...(reason ? { reason } : {}) };
  await store.writeText(pinKey(entry.pipeline, entry.dataset, entry.version), `${JSON.stringify(pin)}\n`);
}

export async function unpinVersion(store: StagingStore, pipeline: string, dataset: string, version: string): Promise<boolean> {
  const key = pinKey(pipeline, dataset, version);
  if (!(await store.readText(key))) return false;
  await store.removeText(key);
  return true;
}

/** Marks a version as read by a run (a `type: catalog` source): retention leaves it until the run records itself. */
export async function markInUse(store: StagingStore, entry: CatalogEntry, reader: Reader): Promise<void> {
  const use: InUse = { pipeline: entry.pipeline, dataset: entry.dataset, version: entry.version, reader, since: new Date().toISOString() };
  const text = `${JSON.stringify(use)}\n`;
  // The reader's own list first: a run that dies between the two writes leaves nothing it cannot release.
  await store.writeText(`${readerFolder(reader)}/${entry.pipeline}.${entry.dataset}.json`, text);
  await store.writeText(useKey(entry.pipeline, entry.dataset, entry.version, reader), text);
}

const useKey = (pipeline: string, dataset: string, version: string, reader: Reader): string =>
  `${inUseFolder(pipeline, dataset)}/${safeSegment(version)}/${reader.pipeline}.${safeSegment(reader.key)}.json`;

/** Releases every version a run marked in use (it has recorded itself, however it ended). */
export async function releaseInUse(store: StagingStore, reader: Reader): Promise<void> {
  for (const key of await store.list(readerFolder(reader))) {
    const got = await store.readText(key);
    if (got) {
      const use = useSchema.parse(JSON.parse(got.text));
      await store.removeText(useKey(use.pipeline, use.dataset, use.version, reader));
    }
    await store.removeText(key);
  }
}

/** The runs reading each version of a dataset now (by their markers), version → readers. */
export async function inUseOf(store: StagingStore, pipeline: string, dataset: string): Promise<Map<string, InUse[]>> {
  const out = new Map<string, InUse[]>();
  for (const key of await store.list(inUseFolder(pipeline, dataset))) {
    const got = await store.readText(key);
    if (!got) continue;
    const use = useSchema.parse(JSON.parse(got.text));
    out.set(use.version, [...(out.get(use.version) ?? []), use]);
  }
  return out;
}

export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export { newestFirst };
