/**
 * Fan-out of one source into parts (workflow code), for any adapter with `parts()` (postgres
 * `partition:`, s3 `fan_out:`):
 *
 *   planParts (one activity) → ingest each part (one activity each, at most `concurrency` at once)
 *   → combineParts (one dataset: a DatasetRef with `parts`, the greatest watermark of the parts)
 *
 * With more than CHILD_THRESHOLD parts, the parts are read by child workflows of at most
 * PARTS_PER_CHILD parts each (workflows/fan-out-child.ts), which combine their own slice: the
 * parent's history holds one result per child, not one per part, and stays small however many
 * parts there are. The children run with the same concurrency in all (the limit is shared out).
 *
 * Failure semantics: each part is its own activity with the source's retry policy; a part that
 * fails for good stops new parts from starting, lets those in flight finish, and fails the stage.
 * Parts are staged under their own keys (`<dataset>.<part>.parquet`), so a retried part overwrites
 * only itself. Pipelines without `partition`/`fan_out` never reach this code.
 */
import { executeChild, workflowInfo, ChildWorkflowFailure } from '@temporalio/workflow';
import type { RunPlan, IngestInput, IngestOutput } from '../src/run.js';
import type { SourcePart } from '../activities/adapter.js';
import type { activityProxies } from './stages.js';
import { ingestPartsChild, readParts, combineInput, bounded, type PartsChildInput } from './fan-out-child.js';

type Acts = ReturnType<typeof activityProxies>;
type Source = RunPlan['spec']['sources'][string];

/** Above this many parts, child workflows read them. */
export const CHILD_THRESHOLD = 32;
/** Parts per child workflow. */
export const PARTS_PER_CHILD = 32;
export const DEFAULT_CONCURRENCY = 4;

/** `partition.concurrency` or `fan_out.concurrency` of a source (default 4). */
export function concurrencyOf(source: Source): number {
  const s = source as Record<string, unknown>;
  for (const field of ['partition', 'fan_out']) {
    const c = (s[field] as { concurrency?: unknown } | undefined)?.concurrency;
    if (typeof s[field] === 'object' && typeof c === 'number' && c >= 1) return Math.floor(c);
  }
  return DEFAULT_CONCURRENCY;
}

export async function ingestParts(acts: Acts, plan: RunPlan, slice: IngestInput): Promise<IngestOutput> {
  const source = plan.spec.sources[slice.dataset]!;
  const planned = await acts.planParts(slice, source.retry);
  if (!planned.parts) return ingestWhole(acts, slice, source);
  const parts = planned.parts;
  const concurrency = concurrencyOf(source);
  if (parts.length <= CHILD_THRESHOLD) {
    const outs = await readParts(acts, slice, source.retry, parts, concurrency);
    return acts.combineParts(combineInput(slice, outs));
  }
  const slices: SourcePart[][] = [];
  for (let i = 0; i < parts.length; i += PARTS_PER_CHILD) slices.push(parts.slice(i, i + PARTS_PER_CHILD));
  const running = Math.min(slices.length, concurrency);
  const each = Math.max(1, Math.floor(concurrency / running));
  const parent = workflowInfo().workflowId;
  const outs = await bounded(slices, running, async (partsOfChild, i) => {
    const input: PartsChildInput = { settings: plan.spec.settings, slice, retry: source.retry ?? {}, parts: partsOfChild, concurrency: each };
    return executeChild(ingestPartsChild, { workflowId: `${parent}/${slice.dataset}/parts-${i + 1}-of-${slices.length}`, args: [input] }).catch((err: unknown) => {
      // The part's own failure, as if the parent had run it.
      throw err instanceof ChildWorkflowFailure && err.cause ? err.cause : err;
    });
  });
  return acts.combineParts(combineInput(slice, outs));
}

async function ingestWhole(acts: Acts, slice: IngestInput, source: Source): Promise<IngestOutput> {
  const out = await acts.ingest(slice, source.retry);
  if ('pending' in out) throw new Error(`ingest ${slice.dataset} returned pending without a request budget`);
  return out;
}
