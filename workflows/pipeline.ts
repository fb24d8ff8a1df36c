/**
 * The `pipeline` workflow: ingest (one activity per source, in parallel) → standardize →
 * preprocess → deliver (one activity per sink, in parallel). Only `DatasetRef`s pass between
 * stages; the rows stay in the staging store. Deterministic orchestration only: no I/O here.
 */
import { proxyActivities, defineQuery, setHandler, workflowInfo, ApplicationFailure } from '@temporalio/workflow';
import type { ActivityOptions } from '@temporalio/workflow';
import type { createActivities } from '../activities/index.js';
import type { RunPlan, RunReport, StageReport, DatasetRef, DatasetSummary } from '../src/run.js';
import type { StageName } from '../src/pipeline/schema.js';
import type { RetrySpec } from '../src/pipeline/retry.js';
import { NON_RETRYABLE_TYPES } from '../src/failures.js';

/** Live progress of a run: the stage, and rows per dataset of every finished activity. */
export const progressQuery = defineQuery<RunReport>('progress');

type Activities = ReturnType<typeof createActivities>;


export async function pipeline(plan: RunPlan): Promise<RunReport> {
  const { spec } = plan;
  const s = spec.settings;
  // Sources and sinks talk to the outside world and ride out outages (settings.retry, or their own
  // `retry:`); a transform runs SQL over staged files, where a failure is almost always
  // deterministic, so it gets a few attempts only.
  const activities = (retry: Partial<RetrySpec> = {}) => {
    const r = { ...s.retry, ...retry };
    const options: ActivityOptions = {
      startToCloseTimeout: s.activity_timeout,
      heartbeatTimeout: s.heartbeat_timeout,
      retry: {
        initialInterval: r.initial_interval,
        backoffCoefficient: r.backoff,
        maximumInterval: r.maximum_interval,
        maximumAttempts: r.maximum_attempts,
        nonRetryableErrorTypes: [...NON_RETRYABLE_TYPES],
      },
    };
    return proxyActivities<Activities>(options);
  };
  const { transform } = activities({ maximum_attempts: Math.min(3, s.retry.maximum_attempts || 3) });

  const report: RunReport = {
    pipeline: plan.pipeline,
    workflowId: workflowInfo().workflowId,
    status: 'running',
    stage: 'ingest',
    startedAt: new Date().toISOString(),
    stages: (['ingest', 'standardize', 'preprocess', 'deliver'] as const).map((stage) => ({ stage, status: 'pending', datasets: [] })),
    sinks: [],
  };
  setHandler(progressQuery, () => report);

  const datasets: Record<string, DatasetRef> = {};
  const stage = async (name: StageName, skip: boolean, work: (r: StageReport) => Promise<void>): Promise<void> => {
    const r = report.stages.find((x) => x.stage === name)!;
    if (skip) {
      r.status = 'skipped';
      return;
    }
    report.stage = name;
    r.status = 'running';
    r.startedAt = new Date().toISOString();
    try {
      await work(r);
      r.status = 'completed';
    } catch (err) {
      r.status = 'failed';
      r.error = errorText(err);
      report.status = 'failed';
      report.error = `${name}: ${r.error}`;
      throw err;
    } finally {
      r.finishedAt = new Date().toISOString();
      r.durationMs = Date.parse(r.finishedAt) - Date.parse(r.startedAt);
    }
  };
  const record = (r: StageReport, ref: DatasetRef) => {
    datasets[ref.dataset] = ref;
    r.datasets.push(summary(ref));
  };

  await stage('ingest', false, async (r) => {
    await Promise.all(Object.keys(spec.sources).map(async (dataset) => {
      const out = await activities(spec.sources[dataset]!.retry).ingest({ plan, dataset });
      record(r, out.ref);
      for (const ref of out.extra ?? []) record(r, ref);
    }));
  });

  for (const name of ['standardize', 'preprocess'] as const) {
    await stage(name, spec[name].length === 0, async (r) => {
      const out = await transform({ plan, stage: name, inputs: { ...datasets } });
      for (const ref of Object.values(out.datasets)) record(r, ref);
    });
  }

  await stage('deliver', Object.keys(spec.sinks).length === 0, async (r) => {
    await Promise.all(Object.entries(spec.sinks).map(async ([sink, sinkSpec]) => {
      const input = datasets[sinkSpec.input];
      if (!input) throw ApplicationFailure.nonRetryable(`sink ${sink}: dataset ${sinkSpec.input} was not produced`, 'CONFIG');
      const out = await activities(sinkSpec.retry).deliver({ plan, sink, input, runStartedAt: report.startedAt });
      report.sinks.push(out);
      r.datasets.push({ ...summary(input), dataset: `${sinkSpec.input} → ${sink}` });
    }));
  });

  report.status = 'completed';
  report.stage = 'done';
  report.finishedAt = new Date().toISOString();
  report.durationMs = Date.parse(report.finishedAt) - Date.parse(report.startedAt);
  return report;
}

const summary = (ref: DatasetRef): DatasetSummary => ({ dataset: ref.dataset, rows: ref.rows, columns: ref.columns.length, uri: ref.uri });

/** The innermost message of an activity failure: the one that names the cause. */
function errorText(err: unknown): string {
  let e = err as { message?: string; cause?: unknown } | undefined;
  while (e?.cause) e = e.cause as typeof e;
  return e?.message ?? String(err);
}
