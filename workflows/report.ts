/**
 * The run report, kept up to date as the run goes (the `progress` query returns it) and returned at
 * the end: stage statuses and timings, rows per dataset, every sink's outcome. Pure bookkeeping
 * (workflow code): the workflow tells it what happened, it never decides anything.
 *
 *   const report = newReport(plan, run, startedAt);
 *   stageStarted(report, 'ingest', now); … stageFinished(report, 'ingest', 'completed', now);
 */
import { ApplicationFailure, isCancellation } from '@temporalio/workflow';
import type { RunPlan, RunContext, RunReport, StageReport, DatasetRef, DatasetSummary, DeliverOutput, SinkOutcome, StageStatus } from '../src/run.js';
import type { StageName } from '../src/pipeline/schema.js';
import { targetOf } from './slices.js';

const STAGE_ORDER = ['ingest', 'standardize', 'preprocess', 'quality', 'deliver'] as const;

export function newReport(plan: RunPlan, run: RunContext, startedAt: string, runId = ''): RunReport {
  return {
    pipeline: plan.pipeline,
    ...(plan.spec.description ? { description: plan.spec.description } : {}),
    workflowId: run.key,
    run,
    status: 'running',
    stage: 'ingest',
    startedAt,
    stages: STAGE_ORDER.map((stage) => ({ stage, status: 'pending', datasets: [] })),
    // Every sink is listed from the start, so a run that stops early still says what each did.
    sinks: Object.entries(plan.spec.sinks).map(([sink, spec]) => ({ sink, type: spec.type, status: 'not started', target: targetOf(spec) })),
    ...(plan.resume ? { resumedFrom: plan.resume.fromRunId } : {}),
    audit: { trigger: run.trigger, file: plan.file, ...(plan.fileSha256 ? { pipelineSha256: plan.fileSha256 } : {}), params: plan.params, workflowId: run.key, runId },
  };
}

export const stageOf = (report: RunReport, name: StageName): StageReport => report.stages.find((x) => x.stage === name)!;

export function stageStarted(report: RunReport, name: StageName, now: string): StageReport {
  const r = stageOf(report, name);
  report.stage = name;
  r.status = 'running';
  r.startedAt = now;
  return r;
}

export function stageFinished(report: RunReport, name: StageName, status: StageStatus, now: string, error?: string): void {
  const r = stageOf(report, name);
  r.status = status;
  if (error) r.error = error;
  r.finishedAt = now;
  r.durationMs = Date.parse(now) - Date.parse(r.startedAt ?? now);
}

/** The run stopped: failed with an error, or cancelled. */
export function runStopped(report: RunReport, name: StageName, err: unknown, now: string): void {
  const cancelled = isCancellation(err);
  const text = cancelled ? 'cancelled' : errorText(err);
  if (stageOf(report, name).status === 'running') stageFinished(report, name, cancelled ? 'cancelled' : 'failed', now, text);
  report.status = cancelled ? 'cancelled' : 'failed';
  report.error = cancelled ? `cancelled during ${name}` : `${name}: ${text}`;
  report.finishedAt = now;
  report.durationMs = Date.parse(now) - Date.parse(report.startedAt);
}

export function runCompleted(report: RunReport, now: string): void {
  report.status = 'completed';
  report.stage = 'done';
  report.finishedAt = now;
  report.durationMs = Date.parse(now) - Date.parse(report.startedAt);
}

export const summary = (ref: DatasetRef): DatasetSummary => ({ dataset: ref.dataset, rows: ref.rows, columns: ref.columns.length, uri: ref.uri, schema: ref.columns.map(({ name, type }) => ({ name, type })) });

export function sinkDelivered(report: RunReport, out: DeliverOutput, detail = out.detail): void {
  setSink(report, { sink: out.sink, type: out.type, status: 'delivered', target: out.target, rows: out.rows, ...(detail ? { detail } : {}) });
}

export function sinkFailed(report: RunReport, sink: string, err: unknown): SinkOutcome {
  const prev = report.sinks.find((s) => s.sink === sink)!;
  const outcome: SinkOutcome = { ...prev, status: isCancellation(err) ? 'cancelled' : 'failed', error: isCancellation(err) ? 'cancelled' : errorText(err) };
  setSink(report, outcome);
  return outcome;
}

function setSink(report: RunReport, outcome: SinkOutcome): void {
  const i = report.sinks.findIndex((s) => s.sink === outcome.sink);
  if (i >= 0) report.sinks[i] = outcome;
  else report.sinks.push(outcome);
}

/** The innermost message of an activity failure: the one that names the cause. */
export function errorText(err: unknown): string {
  let e = err as { message?: string; cause?: unknown } | undefined;
  while (e?.cause) e = e.cause as typeof e;
  return e?.message ?? String(err);
}

/** The failure type of the innermost cause (CONFIG, TRANSIENT, …), if it has one. */
export function errorType(err: unknown): string | undefined {
  let e = err as { type?: string; cause?: unknown } | undefined;
  while (e?.cause) e = e.cause as typeof e;
  return e?.type;
}

/**
 * How a run that failed ends in Temporal: Ferry's message and type on top, so the Temporal UI and a
 * schedule's pause note show what went wrong ("stage ingest, dataset sales: …", not "Activity task
 * failed"), with the activity failure kept as its cause; no stack (it would carry worker paths).
 */
export function runFailure(err: unknown): ApplicationFailure {
  const failure = ApplicationFailure.create({ message: errorText(err), type: errorType(err) ?? 'UNKNOWN', nonRetryable: true, cause: err instanceof Error ? err : undefined });
  failure.stack = '';
  return failure;
}
