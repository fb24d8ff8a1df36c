/** The deliver activity: runs one sink adapter over a staged dataset. */
import type { DeliverInput, DeliverOutput } from '../src/run.js';
import { resolveConnection } from '../src/connect/connections.js';
import { checkpointKey, type StagingStore } from '../src/staging/store.js';
import { checkpointIn } from '../src/staging/checkpoint.js';
import { SINKS } from './sinks/index.js';
import type { SinkAdapter } from './adapter.js';
import { withActivityContext, type Reporter } from './boundary.js';

export function deliverActivity(staging: StagingStore, report?: Reporter) {
  return async function deliver({ plan, sink, input, runStartedAt }: DeliverInput): Promise<DeliverOutput> {
    const spec = plan.spec.sinks[sink]!;
    return withActivityContext(`deliver ${sink}`, { stage: 'deliver', dataset: input.dataset }, async (scope) => {
      await scope.table.loadParquet(input.dataset, await staging.readDataset(input, scope.workdir));
      const adapter = SINKS[spec.type] as SinkAdapter<typeof spec>;
      const result = await adapter.write(spec, {
        ...scope,
        sink,
        dataset: input.dataset,
        rows: input.rows,
        runStartedAt,
        connections: plan.connections,
        connection: (name, kind) => resolveConnection(plan.connections, name, kind),
        checkpoint: checkpointIn(staging, checkpointKey(plan.pipeline, scope.workflowId, 'deliver', sink), scope.workdir),
      });
      return { sink, type: spec.type, ...result };
    }, { report, summarize: (out) => `${out.rows} rows → ${out.target}${out.detail ? ` (${out.detail})` : ''}` });
  };
}
