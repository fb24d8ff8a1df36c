/** The ingest activity: runs one source adapter and stages its dataset as Parquet. */
import type { IngestInput, IngestOutput, DatasetRef } from '../src/run.js';
import { resolveConnection } from '../src/connect/connections.js';
import { checkpointKey, type StagingStore } from '../src/staging/store.js';
import { checkpointIn } from '../src/staging/checkpoint.js';
import { stageDataset } from '../src/staging/stage.js';
import { SOURCES } from './sources/index.js';
import type { SourceAdapter } from './adapter.js';
import { withActivityContext, type Reporter } from './boundary.js';
import { checkConnections, checkNames, checkSource, checkpointName, fromLegacy } from './slice.js';

export function ingestActivity(staging: StagingStore, report?: Reporter) {
  return async function ingest(raw: IngestInput): Promise<IngestOutput> {
    const input = fromLegacy(raw);
    const { pipeline, dataset } = input;
    const context = { stage: 'ingest', dataset };
    return withActivityContext(`ingest ${dataset}`, context, async (scope) => {
      checkNames({ pipeline, datasets: [dataset] }, context);
      const spec = checkSource(input.source, context, input.run);
      const connections = checkConnections(input.connections, spec, context);
      const adapter = SOURCES[spec.type] as SourceAdapter<typeof spec>;
      const generation = input.continues ?? scope.execution;
      const { detail, extra = [] } = await adapter.read(spec, {
        ...scope,
        dataset,
        generation,
        checkpoint: checkpointIn(staging, checkpointKey(pipeline, scope.workflowId, 'ingest', checkpointName(dataset, generation)), scope.workdir),
        connections,
        connection: (name, kind) => resolveConnection(connections, name, kind),
      });
      scope.progress({ note: 'staging' }); // the adapter is done; staging is the boundary's own work
      const at = { pipeline, workflowId: scope.workflowId, stage: 'ingest', workdir: scope.workdir };
      const ref = await stageDataset(staging, scope.table, dataset, at);
      const extraRefs: DatasetRef[] = [];
      for (const name of extra) extraRefs.push(await stageDataset(staging, scope.table, name, at));
      return { ref, detail, ...(extraRefs.length ? { extra: extraRefs } : {}) };
    }, { report, summarize: (out) => `${out.ref.rows} rows from ${out.detail}`, stallTimeout: input.stallTimeout, pipeline });
  };
}

