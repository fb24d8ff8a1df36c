/**
 * What `ferry catalog list|versions|show|diff|pin|unpin` do (src/cli/commands/catalog.ts parses
 * the line), over the catalog in $FERRY_STAGING. Rows are read from the staged Parquet with DuckDB
 * (downloaded first when the store is S3), each file checked against its sha256.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import type { Cli } from './context.js';
import { ConfigError, NotFoundError } from '../errors.js';
import { stagingFromEnv, type StagingStore } from '../staging/store.js';
import { TableEngine } from '../table/engine.js';
import { listDatasets, listEntries, pipelineOf, resolveVersion, pinsOf, inUseOf, pinVersion, unpinVersion } from '../catalog/store.js';
import { latestOf, type CatalogEntry } from '../catalog/entry.js';
import { diffEntries, diffRows } from '../catalog/diff.js';
import { refOfEntry } from '../../activities/sources/catalog.js';
import { listText, versionsText, showText, diffText, type VersionNotes } from './catalog-text.js';

type Common = { pipeline?: string; json?: boolean };

const json = (cli: Cli, value: unknown) => cli.out(`${JSON.stringify(value, null, 2)}\n`);

export async function list(cli: Cli, opts: Common): Promise<void> {
  const store = stagingFromEnv();
  const datasets = await listDatasets(store, opts.pipeline);
  const rows = [];
  for (const d of datasets) {
    const entries = await listEntries(store, d.pipeline, d.dataset);
    rows.push({ ...d, versions: entries.length, latest: latestOf(entries) });
  }
  if (opts.json) return json(cli, { store: store.root, datasets: rows.map((r) => ({ pipeline: r.pipeline, dataset: r.dataset, versions: r.versions, latest: r.latest ? { version: r.latest.version, rows: r.latest.rows, runTime: r.latest.run.time } : null })) });
  cli.out(listText(store.root, rows));
}

async function notesOf(store: StagingStore, pipeline: string, dataset: string, entries: CatalogEntry[]): Promise<VersionNotes> {
  const inUse = new Map([...await inUseOf(store, pipeline, dataset)].map(([v, uses]) => [v, uses.map((u) => u.reader.key)]));
  return { latest: latestOf(entries)?.version, pins: new Set((await pinsOf(store, pipeline, dataset)).keys()), inUse };
}

export async function versions(cli: Cli, dataset: string, opts: Common): Promise<void> {
  const store = stagingFromEnv();
  const pipeline = await pipelineOf(store, dataset, opts.pipeline);
  const entries = await listEntries(store, pipeline, dataset);
  const notes = await notesOf(store, pipeline, dataset, entries);
  if (opts.json) {
    return json(cli, { pipeline, dataset, versions: entries.map((e) => ({ version: e.version, status: e.status, rows: e.rows, runTime: e.run.time, sha256: e.sha256, latest: e.version === notes.latest, pinned: notes.pins.has(e.version), pruned: !!e.pruned })) });
  }
  cli.out(versionsText(pipeline, dataset, entries, notes));
}

/** A temporary work folder and table engine for reading staged files; both gone after `fn`. */
async function withEngine<T>(fn: (engine: TableEngine, workdir: string) => Promise<T>): Promise<T> {
  const workdir = await mkdtemp(join(tmpdir(), 'ferry-catalog-'));
  const engine = await TableEngine.open(workdir);
  try {
    return await fn(engine, workdir);
  } finally {
    engine.close();
    await rm(workdir, { recursive: true, force: true });
  }
}

async function loadVersion(store: StagingStore, engine: TableEngine, name: string, entry: CatalogEntry, workdir: string): Promise<void> {
  if (entry.pruned) throw new NotFoundError(`version ${entry.version} of ${entry.pipeline}/${entry.dataset} was pruned (${entry.pruned.by}): its rows are gone`);
  await engine.loadParquet(name, await store.readDataset(refOfEntry(entry), workdir));
}

export async function show(cli: Cli, dataset: string, opts: Common & { version?: string; limit: number }): Promise<void> {
  const store = stagingFromEnv();
  const pipeline = await pipelineOf(store, dataset, opts.pipeline);
  const entry = await resolveVersion(store, pipeline, dataset, opts.version ?? 'latest');
  const notes = await notesOf(store, pipeline, dataset, await listEntries(store, pipeline, dataset));
  const rows = entry.pruned || opts.limit === 0 ? undefined : await withEngine(async (engine, workdir) => {
    await loadVersion(store, engine, 'v', entry, workdir);
    return (await engine.rows(`SELECT COLUMNS(*)::VARCHAR FROM v LIMIT ${opts.limit}`)) as Record<string, string | null>[];
  });
  if (opts.json) return json(cli, { ...entry, pinned: notes.pins.has(entry.version), rows: rows ?? [] });
  cli.out(showText(entry, notes, rows, opts.limit));
}

export async function diff(cli: Cli, dataset: string, v1: string, v2: string, opts: Common & { rows?: boolean; key?: string; limit: number }): Promise<void> {
  if (opts.key && !opts.rows) throw new ConfigError('--key compares rows: pass --rows with it');
  const key = opts.key?.split(',').map((k) => k.trim()).filter(Boolean) ?? [];
  if (opts.rows && !key.length) throw new ConfigError('--rows compares rows by key: pass --key <column>[,<column>] (a column that identifies a row, e.g. --key id)');
  const store = stagingFromEnv();
  const pipeline = await pipelineOf(store, dataset, opts.pipeline);
  const a = await resolveVersion(store, pipeline, dataset, v1);
  const b = await resolveVersion(store, pipeline, dataset, v2);
  const versionDiff = diffEntries(a, b);
  const rowsDiff = !opts.rows ? undefined : await withEngine(async (engine, workdir) => {
    await loadVersion(store, engine, 'v1', a, workdir);
    await loadVersion(store, engine, 'v2', b, workdir);
    return diffRows(engine, 'v1', 'v2', key, opts.limit, { v1: a.version, v2: b.version });
  });
  if (opts.json) return json(cli, { pipeline, dataset, from: a.version, to: b.version, ...versionDiff, ...(rowsDiff ? { byKey: rowsDiff } : {}) });
  cli.out(diffText(pipeline, dataset, a.version, b.version, versionDiff, rowsDiff));
}

export async function pin(cli: Cli, dataset: string, version: string, opts: Common & { reason?: string }): Promise<void> {
  const store = stagingFromEnv();
  const pipeline = await pipelineOf(store, dataset, opts.pipeline);
  const entry = await resolveVersion(store, pipeline, dataset, version);
  if (entry.pruned) throw new NotFoundError(`version ${entry.version} of ${pipeline}/${dataset} was pruned already (${entry.pruned.by}): nothing to pin`);
  await pinVersion(store, entry, userName(), opts.reason);
  cli.out(`pinned ${pipeline}/${dataset} ${entry.version}: retention and ferry prune leave it until unpinned\n`);
}

export async function unpin(cli: Cli, dataset: string, version: string, opts: Common): Promise<void> {
  const store = stagingFromEnv();
  const pipeline = await pipelineOf(store, dataset, opts.pipeline);
  if (!(await unpinVersion(store, pipeline, dataset, version))) {
    const pinned = [...(await pinsOf(store, pipeline, dataset)).keys()];
    throw new NotFoundError(`${pipeline}/${dataset} ${version} is not pinned; pinned versions: ${pinned.join(', ') || 'none'}`);
  }
  cli.out(`unpinned ${pipeline}/${dataset} ${version}: retention may prune it now\n`);
}

function userName(): string {
  try {
    return process.env.FERRY_USER || userInfo().username;
  } catch {
    return 'unknown';
  }
}
