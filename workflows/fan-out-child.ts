/**
 * A child workflow of a large fan-out (workflow code): reads one slice of a source's parts with
 * bounded concurrency and combines them, so the parent's history holds one result for the slice
 * (see fan-out.ts). Its id is `<parent id>/<dataset>/parts-<i>-of-<n>`.
 *
 *   await executeChild(ingestPartsChild, { workflowId, args: [{ settings, slice, retry, parts, concurrency }] });
 */
import type { IngestInput, IngestOutput, RunPlan } from '../src/run.js';
import type { SourcePart } from '../activities/adapter.js';
import type { RetrySpec } from '../src/pipeline/retry.js';
import { activityProxies } from './stages.js';

type Acts = ReturnType<typeof activityProxies>;

export type PartsChildInput = {
  settings: RunPlan['spec']['settings'];
  slice: IngestInput;
  retry: Partial<RetrySpec>;
  parts: SourcePart[];
  concurrency: number;
};

export async function ingestPartsChild(input: PartsChildInput): Promise<IngestOutput> {
  const acts = activityProxies(input.settings);
  const outs = await readParts(acts, input.slice, input.retry, input.parts, input.concurrency);
  return acts.combineParts(combineInput(input.slice, outs));
}

/** One ingest activity per part, at most `concurrency` at once; the outputs in the parts' order. */
export async function readParts(acts: Acts, slice: IngestInput, retry: Partial<RetrySpec> | undefined, parts: SourcePart[], concurrency: number): Promise<IngestOutput[]> {
  return bounded(parts, concurrency, async (part) => {
    const out = await acts.ingest({ ...slice, part }, retry);
    if ('pending' in out) throw new Error(`ingest ${slice.dataset} ${part.name} returned pending without a request budget`);
    return out;
  });
}

export const combineInput = (slice: IngestInput, parts: IngestOutput[]) =>
  ({ pipeline: slice.pipeline, run: slice.run, dataset: slice.dataset, source: slice.source, parts });

/**
 * `fn` over `items`, at most `limit` at once, results in order. After a failure no new item
 * starts; those running finish; then the first failure is thrown. Deterministic (workflow code).
 */
export async function bounded<T, R>(items: T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { err: unknown } | undefined;
  const lane = async () => {
    while (!failure && next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i]!, i);
      } catch (err) {
        failure ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
  if (failure) throw failure.err;
  return results;
}
