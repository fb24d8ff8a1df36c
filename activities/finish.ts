/**
 * The finishRun activity: the last thing every run does, completed or not — its report written as
 * JSON beside the staged data, and its datasets recorded in the catalog. Idempotent: both are keyed
 * by the logical run and overwritten whole by a retry.
 */
import type { FinishRunInput, FinishRunOutput } from '../src/run.js';
import type { StagingStore } from '../src/staging/store.js';
import { writeRunReport } from '../src/audit/report-file.js';
import { recordCatalog } from '../src/catalog/record.js';
import { liveRunsOf } from '../src/catalog/live-runs.js';
import { Context } from '@temporalio/activity';
import { withActivityContext, type Reporter } from './boundary.js';

export function finishRunActivity(staging: StagingStore, report?: Reporter) {
  return async function finishRun(input: FinishRunInput): Promise<FinishRunOutput> {
    return withActivityContext('finish', { stage: 'finish' }, async (scope) => {
      const versions = await recordCatalog(staging, input, scope.workdir, { liveRuns: workerClient() });
      const reportUri = await writeRunReport(staging, input, scope.workdir);
      return { reportUri, versions };
    }, { report, summarize: (out) => out.reportUri, pipeline: input.pipeline });
  };
}

/** Retention asks Temporal which runs are running, through the worker's client (none in a mock environment). */
function workerClient() {
  try {
    return liveRunsOf(Context.current().client);
  } catch {
    return undefined;
  }
}
