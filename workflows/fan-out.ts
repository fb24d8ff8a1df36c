/**
 * Fan-out of one source into parts (workflow code). CONTRACT STUB (issue 7): the fan-out work
 * plans the parts (planParts), reads them with bounded concurrency (child workflows when there are
 * many) and combines them (combineParts).
 */
import type { RunPlan, IngestInput, IngestOutput } from '../src/run.js';
import type { activityProxies } from './stages.js';

type Acts = ReturnType<typeof activityProxies>;

export async function ingestParts(acts: Acts, plan: RunPlan, slice: IngestInput): Promise<IngestOutput> {
  const source = plan.spec.sources[slice.dataset]!;
  const out = await acts.ingest(slice, source.retry);
  if ('pending' in out) throw new Error('unexpected pending');
  return out;
}
