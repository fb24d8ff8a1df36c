/** The ingest activity: runs one source adapter and stages its dataset as Parquet. */
import type { IngestInput, IngestOutput, DatasetRef } from '../src/run.js';
import { resolveConnection } from '../src/connect/connections.js';
import { stagingKey, checkpointKey, type StagingStore } from '../src/staging/store.js';
import { SOURCES } from './sources/index.js';
import type { SourceAdapter } from './adapter.js';
import { withActivityContext, type Reporter } from './boundary.js';

export function ingestActivity(staging: StagingStore, report?: Reporter) {
  return async function ingest({ plan, dataset }: IngestInput): Promise<IngestOutput> {
    const spec = plan.spec.sources[dataset]!;
    return withActivityContext(`ingest ${dataset}`, { stage: 'ingest', dataset }, async (scope) => {
      const adapter = SOURCES[spec.type] as SourceAdapter<typeof spec>;
      const { detail, extra = [] } = await adapter.read(spec, {
        ...scope,
        dataset,
        checkpoint: {
          save: (name, file) => staging.commit(checkpointKey(plan.pipeline, scope.workflowId, 'ingest', dataset, name), file),
          restore: (name) => staging.readPath(staging.uri(checkpointKey(plan.pipeline, scope.workflowId, 'ingest', dataset, name)), scope.workdir),
        },
        connections: plan.connections,
        connection: (name, kind) => resolveConnection(plan.connections, name, kind),
      });
      const stage = async (name: string): Promise<DatasetRef> => {
        const key = stagingKey(plan.pipeline, scope.workflowId, 'ingest', name);
        const file = staging.writePath(key, scope.workdir);
        const stats = await scope.table.exportParquet(name, file);
        await staging.commit(key, file);
        return { dataset: name, stage: 'ingest', uri: staging.uri(key), ...stats };
      };
      const ref = await stage(dataset);
      const extraRefs = [];
      for (const name of extra) extraRefs.push(await stage(name));
      return { ref, detail, ...(extraRefs.length ? { extra: extraRefs } : {}) };
    }, { report, summarize: (out) => `${out.ref.rows} rows from ${out.detail}` });
  };
}
