/**
 * Incremental sources: after every sink has committed, the run's candidate watermarks are
 * committed (workflow code). CONTRACT STUB (issue 7): the incremental work fills it in. Runs only
 * when a source has `incremental:`, so histories of other pipelines replay unchanged.
 */
import type { RunPlan, RunContext, RunReport, IngestOutput } from '../src/run.js';
import type { activityProxies } from './stages.js';

type Acts = ReturnType<typeof activityProxies>;

export async function commitWatermarks(_acts: Acts, _plan: RunPlan, _run: RunContext, _report: RunReport, _ingested: Record<string, IngestOutput>): Promise<void> {
  // stub
}
