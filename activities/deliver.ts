/** The deliver activity: runs one sink adapter over a staged dataset. */
import type { DeliverInput, DeliverOutput } from '../src/run.js';
import { resolveConnection } from '../src/connect/connections.js';
import { checkpointKey, type StagingStore } from '../src/staging/store.js';
import { checkpointIn } from '../src/staging/checkpoint.js';
import { SINKS } from './sinks/index.js';
import type { SinkAdapter } from './adapter.js';
import { withActivityContext, type Reporter } from './boundary.js';
import { checkConnections, checkNames, checkSink, checkpointName, fromLegacy } from './slice.js';

export function deliverActivity(staging: StagingStore, report?: Reporter) {
  return async function deliver(raw: DeliverInput): Promise<DeliverOutput> {
    const input = fromLegacy(raw);
    const { pipeline, sink } = input;
    const context = { stage: 'deliver', dataset: input.input.dataset };
    return withActivityContext(`deliver ${sink}`, context, async (scope) => {
      checkNames({ pipeline, datasets: [sink, input.input.dataset] }, context);
      const spec = checkSink(input.spec, context, input.run);
      const connections = checkConnections(input.connections, spec, context);
      await scope.table.loadParquet(input.input.dataset, await staging.readDataset(input.input, scope.workdir));
      // The stall clock measures the adapter: downloading the staged file was progress of its own.
      scope.progress({ note: 'staged data opened' });
      const adapter = SINKS[spec.type] as SinkAdapter<typeof spec>;
      const generation = input.continues ?? scope.execution;
      const result = await adapter.write(spec, {
        ...scope,
        generation,
        sink,
        dataset: input.input.dataset,
        rows: input.input.rows,
        runStartedAt: input.runStartedAt,
        run: input.run,
        connections,
        connection: (name, kind) => resolveConnection(connections, name, kind),
        checkpoint: checkpointIn(staging, checkpointKey(pipeline, scope.workflowId, 'deliver', checkpointName(sink, generation)), scope.workdir),
      });
      return { sink, type: spec.type, ...result };
    }, { report, summarize: (out) => `${out.rows} rows → ${out.target}${out.detail ? ` (${out.detail})` : ''}`, stallTimeout: input.stallTimeout, pipeline, sink });
  };
}
