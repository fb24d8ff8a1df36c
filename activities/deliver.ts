/**
 * The deliver activity: runs one sink adapter over a staged dataset. `deliverBatches` is the same
 * with a batch budget (a sink on a rate-limited connection, workflows/paged.ts): it may answer
 * `{ pending: true }`, and the workflow calls it again until it delivers.
 */
import type { DeliverInput, DeliverOutput, DeliverResult } from '../src/run.js';
import { ConfigError } from '../src/errors.js';
import { resolveConnection } from '../src/connect/connections.js';
import { checkpointKey, type StagingStore } from '../src/staging/store.js';
import { checkpointIn } from '../src/staging/checkpoint.js';
import { SINKS } from './sinks/index.js';
import type { SinkAdapter } from './adapter.js';
import { withActivityContext, type Reporter } from './boundary.js';
import { checkConnections, checkNames, checkSink, checkpointName, fromLegacy } from './slice.js';

export function deliverActivity(staging: StagingStore, report?: Reporter) {
  const batches = deliverBatchesActivity(staging, report);
  return async function deliver(raw: DeliverInput): Promise<DeliverOutput> {
    const out = await batches({ ...raw, batchBudget: undefined });
    if ('pending' in out) throw new ConfigError(`sink ${raw.sink} returned pending without a batch budget`);
    return out;
  };
}

export function deliverBatchesActivity(staging: StagingStore, report?: Reporter) {
  return async function deliverBatches(raw: DeliverInput): Promise<DeliverResult> {
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
        ...(input.batchBudget ? { batchBudget: input.batchBudget } : {}),
        connections,
        connection: (name, kind) => resolveConnection(connections, name, kind),
        checkpoint: checkpointIn(staging, checkpointKey(pipeline, scope.workflowId, 'deliver', checkpointName(sink, generation)), scope.workdir),
      });
      const { pending, ...done } = result;
      if (pending) return { pending: true as const, sink, detail: result.detail ?? `${result.rows} rows so far` };
      return { sink, type: spec.type, ...done };
    }, { report, summarize: (out) => ('pending' in out ? `pending: ${out.detail}` : `${out.rows} rows → ${out.target}${out.detail ? ` (${out.detail})` : ''}`), stallTimeout: input.stallTimeout, pipeline, sink });
  };
}
