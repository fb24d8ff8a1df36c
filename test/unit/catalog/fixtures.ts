/** Catalog entries for unit tests: a run's staged files in a local store, and the entry that describes them. */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { LocalStagingStore } from '../../../src/staging/store.js';
import { writeEntry } from '../../../src/catalog/store.js';
import type { CatalogEntry } from '../../../src/catalog/entry.js';

/** Writes `<pipeline>/<version>/<stage>/<dataset>.parquet` for each stage (a few bytes) and the entry. */
export async function putVersion(store: LocalStagingStore, over: { pipeline?: string; dataset?: string; version: string; time: string; status?: CatalogEntry['status']; stages?: string[]; rows?: number }): Promise<CatalogEntry> {
  const pipeline = over.pipeline ?? 'shop';
  const dataset = over.dataset ?? 'sales';
  const stages = over.stages ?? ['ingest', 'preprocess'];
  const files = [];
  for (const stage of stages) {
    const uri = store.uri(`${pipeline}/${over.version}/${stage}/${dataset}.parquet`);
    await mkdir(dirname(uri), { recursive: true });
    await writeFile(uri, `${over.version} ${stage}`);
    files.push({ stage, uri, rows: over.rows ?? 3, bytes: 10, sha256: 'ab'.repeat(32) });
  }
  const final = files.at(-1)!;
  const entry: CatalogEntry = {
    format: 1, pipeline, dataset, version: over.version,
    run: { key: over.version, time: over.time, date: over.time.slice(0, 10), trigger: 'cli', runId: 'r' },
    status: over.status ?? 'completed', recordedAt: over.time, stage: final.stage, uri: final.uri, rows: final.rows, bytes: 10, sha256: final.sha256,
    columns: [{ name: 'id', type: 'INTEGER' }], lineage: { sources: ['sales (file)'], steps: [] }, delivered: [], stages: files,
  };
  await writeEntry(store, entry);
  return entry;
}

export const exists = async (path: string): Promise<boolean> => import('node:fs/promises').then((fs) => fs.access(path).then(() => true, () => false));
export { join };
