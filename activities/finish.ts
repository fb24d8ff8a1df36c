/**
 * The finishRun activity: the last thing every run does, completed or not — its report written as
 * JSON beside the staged data, and its datasets recorded in the catalog. Idempotent: both are keyed
 * by the logical run and overwritten whole by a retry.
 */
import type { FinishRunInput, FinishRunOutput } from '../src/run.js';
import type { StagingStore } from '../src/staging/store.js';
import { writeRunReport } from '../src/audit/report-file.js';
import { recordCatalog } from '../src/catalog/record.js';
import { withActivityContext, type Reporter } from './boundary.js';

export function finishRunActivity(staging: StagingStore, report?: Reporter) {
  return async function finishRun(input: FinishRunInput): Promise<FinishRunOutput> {
    return withActivityContext('finish', { stage: 'finish' }, async (scope) => {
      const versions = await recordCatalog(staging, input, scope.workdir);
      const reportUri = await writeRunReport(staging, input, scope.workdir);
      return { reportUri, versions };
    }, { report, summarize: (out) => out.reportUri, pipeline: input.pipeline });
  };
}
