/**
 * How the ingest stage reads one source (workflow code):
 * - a source that fans out (`partition:` on postgres, `fan_out:` on s3) is planned into parts, read
 *   one activity per part with bounded concurrency, and combined into one dataset (fan-out.ts);
 * - an http source on a connection with `rate_limit:` is driven one request per activity on that
 *   connection's own task queue, whose dispatch rate Temporal limits for the whole fleet (paged.ts);
 * - any other source is one ingest activity.
 * A source with `for_each` waits for its parent datasets and receives them (`parents`).
 *
 *   const out = await ingestSource(acts, plan, run, 'orders', { customers: customersRef });
 */
import type { RunPlan, RunContext, IngestOutput, DatasetRef } from '../src/run.js';
import type { activityProxies } from './stages.js';
import { ingestSlice } from './slices.js';
import { ingestParts } from './fan-out.js';
import { ingestPaged, rateLimitOf } from './paged.js';

type Acts = ReturnType<typeof activityProxies>;
type Source = RunPlan['spec']['sources'][string];

/** Fields that make a source fan out (their adapter's `parts()` says into what). */
const FAN_OUT_FIELDS = ['partition', 'fan_out'] as const;

export const fansOut = (source: Source): boolean => FAN_OUT_FIELDS.some((f) => !!(source as Record<string, unknown>)[f]);

/** The datasets a source takes its requests from (an http source's `for_each`). */
export function parentsOf(source: Source): string[] {
  const forEach = (source as { for_each?: { dataset?: string } }).for_each;
  return forEach?.dataset ? [forEach.dataset] : [];
}

export async function ingestSource(acts: Acts, plan: RunPlan, run: RunContext, dataset: string, parents: Record<string, DatasetRef>): Promise<IngestOutput> {
  const source = plan.spec.sources[dataset]!;
  const slice = { ...ingestSlice(plan, run, dataset), ...(Object.keys(parents).length ? { parents } : {}) };
  if (fansOut(source)) return ingestParts(acts, plan, slice);
  if (rateLimitOf(plan, source)) return ingestPaged(acts, plan, slice);
  const out = await acts.ingest(slice, source.retry);
  if ('pending' in out) throw new Error(`ingest ${dataset} returned pending without a request budget`);
  return out;
}
