/**
 * The quality activity: loads the run's datasets, checks every rule (src/quality/rules), profiles
 * each dataset, and, where a quarantine or ask rule exists, stages the dataset split in two (kept and
 * `<dataset>_rejects`). It decides nothing: the workflow reads the outcomes (src/quality/verdict.ts).
 */
import type { QualityInput, QualityOutput } from '../src/run.js';
import type { StagingStore } from '../src/staging/store.js';
import { withActivityContext, type Reporter } from './boundary.js';

export function qualityActivity(_staging: StagingStore, report?: Reporter) {
  return async function quality(input: QualityInput): Promise<QualityOutput> {
    return withActivityContext('quality', { stage: 'quality' }, async (): Promise<QualityOutput> => {
      throw new Error('the quality activity is not implemented yet');
    }, { report, summarize: (out) => `${out.outcomes.length} rules`, pipeline: input.pipeline });
  };
}
