/**
 * A rate-limited http source, one request per activity on its connection's task queue (workflow
 * code). CONTRACT STUB (issue 7): the rate-limit work fills it in.
 */
import type { RunPlan, IngestInput, IngestOutput } from '../src/run.js';
import type { activityProxies } from './stages.js';

type Acts = ReturnType<typeof activityProxies>;
type Source = RunPlan['spec']['sources'][string];

/** The `rate_limit` of the http connection a source uses, if any. */
export function rateLimitOf(plan: RunPlan, source: Source): { requests_per_second: number; concurrency: number } | undefined {
  if (source.type !== 'http') return undefined;
  const conn = plan.connections[source.connection];
  return conn?.type === 'http' ? conn.rate_limit : undefined;
}

export async function ingestPaged(acts: Acts, plan: RunPlan, slice: IngestInput): Promise<IngestOutput> {
  const source = plan.spec.sources[slice.dataset]!;
  const out = await acts.ingest(slice, source.retry);
  if ('pending' in out) throw new Error('unexpected pending');
  return out;
}
