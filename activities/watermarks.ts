/**
 * commitWatermarks: after every sink of a run has committed, moves the watermark of each
 * incremental source to the greatest cursor value the run delivered (src/state/store.ts).
 *
 *   await commitWatermarks({ pipeline: 'shop', run, windows: { orders: { cursor: 'updated_at', start: '…', type: 'timestamptz', to: '2024-01-05T10:00:00.000000Z' } } })
 *   // → { committed: { orders: { from: '2024-01-04T…Z', to: '2024-01-05T10:00:00.000000Z' } } }
 *
 * Failure semantics: each source's commit is one compare-and-swap that only moves forward, so a
 * retry (the worker died after writing, before reporting) changes nothing and reports the same
 * move; a late commit of an older run never moves a watermark back. Sources are committed one by
 * one: a retry after a partial commit completes the rest. Nothing to cancel (a few small writes).
 */
import type { CommitWatermarksInput, CommitWatermarksOutput } from '../src/run.js';
import type { StagingStore } from '../src/staging/store.js';
import { ConfigError } from '../src/errors.js';
import { advanceWatermark } from '../src/state/store.js';
import { WATERMARK_TYPES } from '../src/state/values.js';
import { checkNames } from './slice.js';
import { withActivityContext, type Reporter } from './boundary.js';

export function commitWatermarksActivity(staging: StagingStore, report?: Reporter) {
  return async function commitWatermarks(input: CommitWatermarksInput): Promise<CommitWatermarksOutput> {
    const { pipeline, run, windows } = input;
    return withActivityContext('commit watermarks', { stage: 'deliver' }, async (scope) => {
      checkNames({ pipeline, datasets: Object.keys(windows) }, { stage: 'deliver' });
      const committed: CommitWatermarksOutput['committed'] = {};
      for (const [source, window] of Object.entries(windows)) {
        if (window.to === undefined) continue;
        if (!window.type || !(WATERMARK_TYPES as readonly string[]).includes(window.type)) {
          throw new ConfigError(`the candidate watermark of ${source} has no valid type (${String(window.type)})`, { dataset: source });
        }
        committed[source] = await advanceWatermark(staging, { pipeline, source, cursor: window.cursor }, window.to, window.type, run.key, new Date().toISOString());
        scope.progress({ note: `${source} committed` });
      }
      return { committed };
    }, {
      report,
      pipeline,
      summarize: (out) => Object.entries(out.committed).map(([s, c]) => ('to' in c ? `${s} → ${c.to}` : `${s} unchanged at ${c.unchanged}`)).join(', ') || 'nothing to commit',
    });
  };
}
