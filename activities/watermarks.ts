/**
 * commitWatermarks: after every sink of a run has committed, moves the watermark of each
 * incremental source to the greatest cursor value the run delivered (issue 7 CONTRACT STUB: the
 * incremental work fills it in; see src/state/).
 */
import type { CommitWatermarksInput, CommitWatermarksOutput } from '../src/run.js';
import type { StagingStore } from '../src/staging/store.js';
import type { Reporter } from './boundary.js';

export function commitWatermarksActivity(_staging: StagingStore, _report?: Reporter) {
  return async function commitWatermarks(_input: CommitWatermarksInput): Promise<CommitWatermarksOutput> {
    return { committed: {} };
  };
}
