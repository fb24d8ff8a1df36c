/**
 * Incremental sources: after every sink has committed, the run's candidate watermarks are
 * committed (workflow code). Runs only when a source has `incremental:` and its rows moved the
 * candidate, so histories of other pipelines replay unchanged (no new command).
 *
 *   await runStage(… 'deliver' …);                          // every sink committed, or the run failed
 *   await commitWatermarks(acts, plan, run, report, ingested); // → report.watermarks
 *
 * A run that fails anywhere never gets here: its watermarks stay where they were, and the next run
 * reads the same window again. A `ferry retry` reuses its staged ingest outputs with their windows,
 * so what it delivers is what it commits.
 */
import type { RunPlan, RunContext, RunReport, IngestOutput, WatermarkCandidate } from '../src/run.js';
import type { activityProxies } from './stages.js';

type Acts = ReturnType<typeof activityProxies>;

export async function commitWatermarks(acts: Acts, plan: RunPlan, run: RunContext, report: RunReport, ingested: Record<string, IngestOutput>): Promise<void> {
  const incremental = Object.entries(plan.spec.sources).filter(([, source]) => 'incremental' in source && source.incremental).map(([name]) => name);
  if (!incremental.length) return;
  const windows: Record<string, WatermarkCandidate> = {};
  const watermarks: NonNullable<RunReport['watermarks']> = {};
  for (const source of incremental) {
    const window = ingested[source]?.window;
    if (window?.to !== undefined) windows[source] = window;
    // No rows in the window: nothing moves (and nothing is written).
    else if (window?.watermark !== undefined) watermarks[source] = { unchanged: window.watermark };
  }
  if (Object.keys(windows).length) Object.assign(watermarks, (await acts.commitWatermarks({ pipeline: plan.pipeline, run, windows })).committed);
  if (Object.keys(watermarks).length) report.watermarks = watermarks;
}
