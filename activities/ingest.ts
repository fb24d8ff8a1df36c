/**
 * The ingest activity: runs one source adapter (or one part of a fanned-out source, or one request
 * budget of a rate-limited one) and stages its dataset as Parquet.
 *
 * Around the adapter: the parent datasets of a `for_each` source are opened first; an incremental
 * source gets its window (src/state/window.ts) and its rows are kept to it, and the candidate
 * watermark goes back to the workflow, which commits it only after every sink has committed.
 */
import type { IngestInput, IngestResult, DatasetRef } from '../src/run.js';
import { resolveConnection } from '../src/connect/connections.js';
import { checkpointKey, type StagingStore } from '../src/staging/store.js';
import { checkpointIn } from '../src/staging/checkpoint.js';
import { stageDataset } from '../src/staging/stage.js';
import { applyWindow, resolveWindowRefs, windowFor } from '../src/state/window.js';
import { SOURCES } from './sources/index.js';
import type { SourceAdapter, SourceContext } from './adapter.js';
import { withActivityContext, type ActivityScope, type Reporter } from './boundary.js';
import { checkConnections, checkNames, checkSource, checkpointName, fromLegacy } from './slice.js';
import type { SourceSpec } from './sources/index.js';

export function ingestActivity(staging: StagingStore, report?: Reporter) {
  return async function ingest(raw: IngestInput): Promise<IngestResult> {
    const input = fromLegacy(raw);
    const { pipeline, dataset } = input;
    const context = { stage: 'ingest', dataset };
    const label = `ingest ${dataset}${input.part ? ` ${input.part.name}` : ''}`;
    return withActivityContext(label, context, async (scope) => {
      const { spec, adapter, ctx } = await sourceContext(staging, input, scope);
      const result = await adapter.read(spec, ctx);
      if (result.pending) return { pending: true as const, detail: result.detail };
      const window = ctx.window && await applyWindow(scope.table, dataset, ctx.window, result.watermark);
      scope.progress({ note: 'staging' }); // the adapter is done; staging is the boundary's own work
      const at = { pipeline, workflowId: scope.workflowId, stage: 'ingest', workdir: scope.workdir, ...(input.part ? { part: input.part.name } : {}) };
      const ref = await stageDataset(staging, scope.table, dataset, at);
      const extraRefs: DatasetRef[] = [];
      for (const name of result.extra ?? []) extraRefs.push(await stageDataset(staging, scope.table, name, at));
      return { ref, detail: result.detail, ...(extraRefs.length ? { extra: extraRefs } : {}), ...(window ? { window } : {}) };
    }, {
      report,
      summarize: (out) => ('pending' in out ? `pending: ${out.detail}` : `${out.ref.rows} rows from ${out.detail}`),
      stallTimeout: input.stallTimeout,
      pipeline,
    });
  };
}

/**
 * The adapter, its checked spec and its context for one ingest input (also used by the fan-out's
 * planning activity, which asks the same adapter for its parts).
 */
export async function sourceContext(staging: StagingStore, input: IngestInput, scope: ActivityScope): Promise<{ spec: SourceSpec; adapter: SourceAdapter<SourceSpec>; ctx: SourceContext }> {
  const { pipeline, dataset } = input;
  const context = { stage: 'ingest', dataset };
  const parents = Object.keys(input.parents ?? {});
  checkNames({ pipeline, datasets: [dataset, ...parents] }, context);
  const checked = checkSource(input.source, context, input.run);
  const window = await windowFor(staging, pipeline, dataset, 'incremental' in checked ? checked.incremental : undefined, input.run);
  const spec = resolveWindowRefs(checked, window);
  const connections = checkConnections(input.connections, spec, context);
  const adapter = SOURCES[spec.type] as SourceAdapter<SourceSpec>;
  const generation = input.continues ?? scope.execution;
  for (const [name, ref] of Object.entries(input.parents ?? {})) await scope.table.loadParquet(name, await staging.readDataset(ref, scope.workdir));
  // Each part of a fanned-out source keeps its own checkpoint.
  const own = input.part ? `${dataset}.${input.part.name}` : dataset;
  const ctx: SourceContext = {
    ...scope,
    dataset,
    pipeline,
    staging,
    generation,
    parents,
    ...(input.part ? { part: input.part } : {}),
    ...(input.requestBudget ? { requestBudget: input.requestBudget } : {}),
    ...(window ? { window } : {}),
    checkpoint: checkpointIn(staging, checkpointKey(pipeline, scope.workflowId, 'ingest', checkpointName(own, generation)), scope.workdir),
    connections,
    connection: (name, kind) => resolveConnection(connections, name, kind),
  };
  return { spec, adapter, ctx };
}
