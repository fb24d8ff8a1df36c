/**
 * Fan-out activities (issue 7 CONTRACT STUB: the fan-out work fills these in).
 * - planParts: asks the source adapter for its parts (SourceAdapter.parts), or null to read it whole.
 * - combineParts: makes the staged parts of one source one dataset again (a DatasetRef with
 *   `parts`, or one file), with the greatest candidate watermark of the parts.
 */
import type { PlanPartsInput, PlanPartsOutput, CombinePartsInput, IngestOutput } from '../src/run.js';
import type { StagingStore } from '../src/staging/store.js';
import type { Reporter } from './boundary.js';

export function planPartsActivity(_staging: StagingStore, _report?: Reporter) {
  return async function planParts(_input: PlanPartsInput): Promise<PlanPartsOutput> {
    return { parts: null };
  };
}

export function combinePartsActivity(_staging: StagingStore, _report?: Reporter) {
  return async function combineParts(input: CombinePartsInput): Promise<IngestOutput> {
    return input.parts[0]!;
  };
}
