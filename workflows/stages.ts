/**
 * How the workflow runs activities and stages: retry policies from settings, cancellation that
 * waits for the activity to stop, and a stage runner that keeps the report honest (running →
 * completed, failed or cancelled; a skipped or reused stage says so). Workflow code.
 *
 *   const acts = activityProxies(plan.spec.settings);
 *   await runStage(report, 'ingest', async (r) => { … });
 */
import { proxyActivities, ActivityCancellationType, metricMeter, isCancellation } from '@temporalio/workflow';
import type { ActivityOptions } from '@temporalio/workflow';
import type { createActivities } from '../activities/index.js';
import type { RunReport, StageReport, StageStatus, IngestInput, TransformInput, DeliverInput, VerifyInput, PlanPartsInput, CombinePartsInput, CommitWatermarksInput, QualityInput, FinishRunInput } from '../src/run.js';
import type { StageName, PipelineSpec } from '../src/pipeline/schema.js';
import type { RetrySpec } from '../src/pipeline/retry.js';
import { NON_RETRYABLE_TYPES } from '../src/failures.js';
import { recordStage, recordRun } from '../src/metrics.js';
import { stageStarted, stageFinished, runStopped, stageOf } from './report.js';
import { targetOf } from './slices.js';

export type Activities = ReturnType<typeof createActivities>;

/**
 * Sources and sinks talk to the outside world and ride out outages (settings.retry, or their own
 * `retry:`); a transform runs SQL over staged files, where a failure is almost always
 * deterministic, so it gets a few attempts only. Every activity carries a one-line summary
 * ("ingest customers", "deliver warehouse → postgres retail.sales"), shown by the Temporal UI
 * without opening a payload.
 */
export function activityProxies(settings: PipelineSpec['settings']) {
  const proxy = (retry: Partial<RetrySpec>, summary: string) => proxyActivities<Activities>({ ...activityOptions(settings, retry), summary });
  const few = transformRetry(settings);
  return {
    ingest: (input: IngestInput, retry: Partial<RetrySpec> = {}) => proxy(retry, `ingest ${input.dataset}${input.part ? ` ${input.part.name}` : ''}`).ingest(input),
    transform: (input: TransformInput) => proxy(few, `${input.stage}: ${input.steps.length} step${input.steps.length === 1 ? '' : 's'}`).transform(input),
    deliver: (input: DeliverInput, retry: Partial<RetrySpec> = {}) => proxy(retry, `deliver ${input.sink} → ${targetOf(input.spec)}`).deliver(input),
    verifyStaged: (input: VerifyInput) => proxy(few, `verify ${input.refs.length} staged datasets`).verifyStaged(input),
    planParts: (input: PlanPartsInput, retry: Partial<RetrySpec> = {}) => proxy(retry, `plan parts of ${input.dataset}`).planParts(input),
    combineParts: (input: CombinePartsInput) => proxy(few, `combine ${input.parts.length} parts of ${input.dataset}`).combineParts(input),
    commitWatermarks: (input: CommitWatermarksInput) => proxy({}, `commit watermarks of ${Object.keys(input.windows).join(', ')}`).commitWatermarks(input),
    quality: (input: QualityInput) => proxy(few, `quality: ${input.spec.rules.length} rule${input.spec.rules.length === 1 ? '' : 's'}`).quality(input),
    finishRun: (input: FinishRunInput) => proxy(few, `record the run of ${input.pipeline}`).finishRun(input),
  };
}

/** A transform (or the check of staged data) fails the same way again: at most this many attempts. */
export const TRANSFORM_ATTEMPTS = 3;

export const transformRetry = (settings: PipelineSpec['settings']): Partial<RetrySpec> =>
  ({ maximum_attempts: Math.min(TRANSFORM_ATTEMPTS, settings.retry.maximum_attempts || TRANSFORM_ATTEMPTS) });

/** The options of an activity: the pipeline's settings, with a source's or sink's own `retry:` on top. */
export function activityOptions(settings: PipelineSpec['settings'], retry: Partial<RetrySpec> = {}): ActivityOptions {
  const r = { ...settings.retry, ...retry };
  return {
    startToCloseTimeout: settings.activity_timeout,
    heartbeatTimeout: settings.heartbeat_timeout,
    // A cancelled run waits until its activities have really stopped, so its report is true.
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: {
      initialInterval: r.initial_interval,
      backoffCoefficient: r.backoff,
      maximumInterval: r.maximum_interval,
      maximumAttempts: r.maximum_attempts,
      nonRetryableErrorTypes: [...NON_RETRYABLE_TYPES],
    },
  };
}

/**
 * Runs one stage's work and records its outcome. `work` returns the status to record when it ends
 * normally ('completed', or 'reused' when nothing had to be computed again).
 */
export async function runStage(
  report: RunReport,
  name: StageName,
  skip: boolean,
  work: (r: StageReport) => Promise<StageStatus | void>,
): Promise<void> {
  if (skip) {
    stageOf(report, name).status = 'skipped';
    return;
  }
  const r = stageStarted(report, name, now());
  try {
    stageFinished(report, name, (await work(r)) ?? 'completed', now());
  } catch (err) {
    runStopped(report, name, err, now());
    throw err;
  } finally {
    // Workflow time, recorded once: the SDK's workflow meter emits nothing while replaying.
    recordStage(metricMeter, report.pipeline, name, r.status, (r.durationMs ?? 0) / 1000);
  }
}

/** Counts a finished run (ferry_runs_total): completed, or failed / cancelled by `err`. */
export function runFinished(report: RunReport, err?: unknown): void {
  recordRun(metricMeter, report.pipeline, err === undefined ? 'completed' : isCancellation(err) ? 'cancelled' : 'failed');
}

/** Workflow time (deterministic: the SDK replaces Date in workflow code). */
export const now = (): string => new Date().toISOString();
