/**
 * Records a run's datasets in the catalog (beside the staged data): version (the logical run),
 * location, schema, rows, checksum, profile and lineage of every staged dataset, and where each
 * sink delivered. Returns the version recorded per dataset.
 *
 * A dataset staged by several stages (sales after ingest, then after standardize) is one entry:
 * its final stage's file is the version (what sinks read), and `stages` lists every stage's file.
 * Idempotent: entries are keyed by the logical run and written whole, so a retry rewrites them.
 * Then the run releases the versions it read (`type: catalog`), and a completed run applies
 * retention (`settings.catalog.keep`, prune.ts).
 *
 *   const versions = await recordCatalog(staging, input, workdir);   // { sales: 'retail-2024-01-05' }
 */
import type { StagingStore, DatasetRef } from '../staging/store.js';
import type { FinishRunInput, DatasetProfile } from '../run.js';
import { TableEngine } from '../table/engine.js';
import { profileOf } from '../quality/profile.js';
import { lineageOf } from './lineage.js';
import { writeEntry, releaseInUse } from './store.js';
import { applyRetention, type LiveRuns } from './prune.js';
import type { CatalogEntry, StagedFile } from './entry.js';

export type RecordOptions = { liveRuns?: LiveRuns; onRetentionError?: (err: unknown) => void };

export async function recordCatalog(staging: StagingStore, input: FinishRunInput, workdir: string, options: RecordOptions = {}): Promise<Record<string, string>> {
  const { pipeline, run, report } = input;
  const byDataset = new Map<string, { stage: string; ref: DatasetRef }[]>();
  for (const s of input.staged) byDataset.set(s.ref.dataset, [...(byDataset.get(s.ref.dataset) ?? []), { stage: s.stage, ref: s.ref }]);
  const lineage = lineageOf(input.graph, input.staged.map((s) => ({ stage: s.stage, dataset: s.ref.dataset })));
  const delivered = deliveredBy(input);
  const status = report.status === 'completed' ? 'completed' : report.status === 'cancelled' ? 'cancelled' : 'failed';
  const versions: Record<string, string> = {};
  let engine: TableEngine | undefined;
  try {
    for (const [dataset, stages] of byDataset) {
      const final = stages.at(-1)!.ref;
      // Quality profiled its inputs; a dataset it then split (kept rows) is profiled again.
      let profile: DatasetProfile | undefined = final.stage === 'quality' ? undefined : input.profiles[dataset];
      if (!profile) {
        engine ??= await TableEngine.open(workdir);
        profile = await profileStaged(staging, engine, final, workdir);
      }
      const entry: CatalogEntry = {
        format: 1,
        pipeline,
        dataset,
        version: run.key,
        run: { key: run.key, time: run.time, date: run.date, trigger: run.trigger, runId: report.audit?.runId ?? '' },
        status,
        recordedAt: report.finishedAt ?? report.startedAt,
        stage: final.stage,
        uri: final.uri,
        ...(final.parts?.length ? { parts: final.parts } : {}),
        rows: final.rows,
        bytes: final.bytes,
        sha256: final.sha256,
        columns: final.columns.map(({ name, type }) => ({ name, type })),
        ...(profile ? { profile } : {}),
        lineage: lineage[dataset] ?? { sources: [], steps: [] },
        delivered: delivered.get(dataset) ?? [],
        stages: stages.map(({ ref }): StagedFile => ({
          stage: ref.stage, uri: ref.uri, rows: ref.rows, bytes: ref.bytes, sha256: ref.sha256, ...(ref.parts?.length ? { parts: ref.parts } : {}),
        })),
      };
      await writeEntry(staging, entry);
      versions[dataset] = run.key;
    }
  } finally {
    engine?.close();
  }
  await releaseInUse(staging, { pipeline, key: run.key });
  const keep = input.catalog?.keep;
  if (status === 'completed' && keep) {
    // Retention is housekeeping: when it cannot run now (an outage), the next completed run does it.
    await applyRetention(staging, pipeline, [...byDataset.keys()], keep, { current: run.key, reads: input.catalog?.reads ?? [], liveRuns: options.liveRuns })
      .catch((err: unknown) => options.onRetentionError?.(err));
  }
  return versions;
}

/** A staged dataset's profile, or none when its file is gone (a failed run's record still gets written). */
async function profileStaged(staging: StagingStore, engine: TableEngine, ref: DatasetRef, workdir: string): Promise<DatasetProfile | undefined> {
  try {
    await engine.loadParquet(ref.dataset, await staging.readDataset(ref, workdir));
    return await profileOf(engine, ref.dataset);
  } catch {
    return undefined;
  }
}

/** Sinks that delivered each dataset: the deliver stage names `<dataset> → <sink>`, the sink outcome the target and rows. */
function deliveredBy(input: FinishRunInput): Map<string, CatalogEntry['delivered']> {
  const inputOf = new Map<string, string>();
  for (const d of input.report.stages.find((s) => s.stage === 'deliver')?.datasets ?? []) {
    const [dataset, sink] = d.dataset.split(' → ');
    if (dataset && sink) inputOf.set(sink, dataset);
  }
  const out = new Map<string, CatalogEntry['delivered']>();
  for (const s of input.report.sinks.filter((x) => x.status === 'delivered')) {
    const dataset = inputOf.get(s.sink);
    if (!dataset) continue;
    out.set(dataset, [...(out.get(dataset) ?? []), { sink: s.sink, type: s.type, target: s.target, rows: s.rows ?? 0 }]);
  }
  return out;
}
