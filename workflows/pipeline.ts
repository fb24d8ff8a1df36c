/**
 * The `pipeline` workflow: ingest (one activity per source, in parallel) → standardize →
 * preprocess → deliver (one activity per sink, in parallel, every sink awaited). Only
 * `DatasetRef`s pass between stages; the rows stay in the staging store. A run started by
 * `ferry retry` (plan.resume) reuses the staged outputs that still verify and delivers only the
 * sinks that did not complete. Orchestration only: slices, report and stage running live beside it.
 */
import { defineQuery, setHandler, workflowInfo, ApplicationFailure, isCancellation, patched, CancellationScope } from '@temporalio/workflow';
import type { RunPlan, RunContext, RunReport, DatasetRef, DatasetProfile, IngestOutput, TransformOutput, FinishRunInput } from '../src/run.js';
import type { StageName } from '../src/pipeline/schema.js';
import { ingestSource, parentsOf } from './ingest-source.js';
import { commitWatermarks } from './watermarks.js';
import { activityProxies, runStage, runFinished, now } from './stages.js';
import { transformSlice } from './slices.js';
import { deliverSink } from './paged.js';
import { newReport, summary, sinkDelivered, sinkFailed, runCompleted, runFailure, errorType } from './report.js';
import { runContext, tagRun, keepReport } from './run-context.js';
import { qualityStage } from './quality.js';
import { acceptDecisions } from './gate.js';

/** Live progress of a run: the stage, and rows per dataset of every finished activity. */
export const progressQuery = defineQuery<RunReport>('progress');

/**
 * The version marker of the govern change: runs after it end with a finishRun activity (report.json
 * and the catalog); runs recorded before it replay without it.
 */
export const GOVERN_PATCH = 'govern-record';
/** A failed or cancelled run's memo report is kept again after the record is written; runs before it replay without it. */
export const RECORD_MEMO_PATCH = 'govern-record-memo';

type Activities = ReturnType<typeof activityProxies>;

/** What a run staged and profiled, kept for the record it writes when it ends (however it ends). */
type RunRecord = { staged: { stage: StageName; ref: DatasetRef }[]; profiles: Record<string, DatasetProfile> };

export async function pipeline(plan: RunPlan): Promise<RunReport> {
  const run = runContext(plan, workflowInfo());
  const report = newReport(plan, run, now(), workflowInfo().runId);
  setHandler(progressQuery, () => report);
  acceptDecisions(report); // `ferry approve|reject|quarantine`: refused with a reason until the run waits at the gate
  tagRun(plan, run);
  const recording = patched(GOVERN_PATCH);
  const acts = activityProxies(plan.spec.settings);
  const kept: RunRecord = { staged: [], profiles: {} };
  try {
    const result = await runPipeline(acts, plan, run, report, kept);
    if (recording) await recordRun(acts, plan, run, report, kept);
    runFinished(report);
    return result;
  } catch (err) {
    keepReport(report); // a failed or cancelled run's report stays readable without a worker
    if (recording) {
      await CancellationScope.nonCancellable(() => recordRun(acts, plan, run, report, kept));
      // Kept again with its record: where report.json lies and the catalog versions (ferry status, viz).
      if (patched(RECORD_MEMO_PATCH)) keepReport(report);
    }
    runFinished(report, err);
    throw isCancellation(err) || err instanceof ApplicationFailure ? err : runFailure(err);
  }
}

/**
 * Writes the run's report.json and catalog entries. A failure here is reported in the run's report
 * but never changes how the run ended: the data was delivered (or not) already.
 */
async function recordRun(acts: Activities, plan: RunPlan, run: RunContext, report: RunReport, kept: RunRecord): Promise<void> {
  const input: FinishRunInput = {
    pipeline: plan.pipeline,
    run,
    report,
    staged: kept.staged,
    profiles: kept.profiles,
    graph: {
      sources: Object.fromEntries(Object.entries(plan.spec.sources).map(([name, s]) => [name, s.type])),
      standardize: plan.spec.standardize,
      preprocess: plan.spec.preprocess,
    },
    catalog: {
      ...(plan.spec.settings.catalog?.keep ? { keep: plan.spec.settings.catalog.keep } : {}),
      reads: Object.values(plan.spec.sources).flatMap((s) => (s.type === 'catalog' && s.version !== 'latest' ? [{ ...(s.pipeline ? { pipeline: s.pipeline } : {}), dataset: s.dataset, version: s.version }] : [])),
    },
  };
  try {
    report.record = await acts.finishRun(input);
  } catch (err) {
    if (isCancellation(err)) throw err;
    report.record = { reportUri: '', versions: {} };
  }
}

async function runPipeline(acts: Activities, plan: RunPlan, run: RunContext, report: RunReport, kept: RunRecord): Promise<RunReport> {
  const { spec, resume } = plan;

  const datasets: Record<string, DatasetRef> = {};
  const record = (datasetsOfStage: RunReport['stages'][number]['datasets'], ref: DatasetRef) => {
    datasets[ref.dataset] = ref;
    datasetsOfStage.push(summary(ref));
    kept.staged.push({ stage: report.stage as StageName, ref }); // recorded while its stage runs
  };

  // A retry reuses what the previous run staged, if the files are still there, byte for byte.
  const verified = new Set<string>(resume ? (await acts.verifyStaged({ refs: stagedRefs(resume) })).verified : []);
  const reusable = <T extends IngestOutput | TransformOutput>(out: T | undefined): T | undefined =>
    out && refsOf(out).every((ref) => verified.has(ref.uri)) ? out : undefined;
  let recomputed = false; // once an upstream stage ran again, everything downstream runs again

  const ingested: Record<string, IngestOutput> = {};
  await runStage(report, 'ingest', false, async (r) => {
    let reused = 0;
    // Sources run in parallel; one with `for_each` starts once its parent datasets are staged.
    const outputs: Record<string, Promise<IngestOutput>> = {};
    const ingestOne = async (dataset: string): Promise<IngestOutput> => {
      const reuse = reusable(resume?.ingest[dataset]);
      if (reuse) {
        reused++;
        return reuse;
      }
      const parents: Record<string, DatasetRef> = {};
      for (const parent of parentsOf(spec.sources[dataset]!)) parents[parent] = (await outputs[parent]!).ref;
      recomputed = true;
      return ingestSource(acts, plan, run, dataset, parents);
    };
    for (const dataset of Object.keys(spec.sources)) outputs[dataset] = ingestOne(dataset);
    await Promise.all(Object.entries(outputs).map(async ([dataset, pending]) => {
      const out = await pending;
      ingested[dataset] = out;
      for (const ref of refsOf(out)) record(r.datasets, ref);
    }));
    return reused === Object.keys(spec.sources).length ? 'reused' : 'completed';
  });

  for (const name of ['standardize', 'preprocess'] as const) {
    await runStage(report, name, spec[name].length === 0, async (r) => {
      let out = recomputed ? undefined : reusable(resume?.[name]);
      const status = out ? 'reused' : 'completed';
      if (!out) {
        recomputed = true;
        out = await acts.transform(transformSlice(plan, run, name, { ...datasets }));
      }
      for (const ref of Object.values(out.datasets)) record(r.datasets, ref);
      return status;
    });
  }

  await qualityStage(acts, plan, run, report, datasets, kept.profiles, kept.staged);

  await runStage(report, 'deliver', Object.keys(spec.sinks).length === 0, async (r) => {
    // Every sink is awaited (no fail-fast): one sink's outage does not hide what the others did.
    const results = await Promise.allSettled(Object.entries(spec.sinks).map(async ([sink, sinkSpec]) => {
      try {
        const input = datasets[sinkSpec.input];
        if (!input) throw ApplicationFailure.nonRetryable(`dataset ${sinkSpec.input} was not produced`, 'CONFIG');
        r.datasets.push({ ...summary(input), dataset: `${sinkSpec.input} → ${sink}` });
        const earlier = resume?.delivered[sink];
        if (earlier) return sinkDelivered(report, earlier, `delivered by run ${resume.fromRunId}`);
        sinkDelivered(report, await deliverSink(acts, plan, run, sink, input, report.startedAt));
      } catch (err) {
        throw Object.assign(err as object, { outcome: sinkFailed(report, sink, err) });
      }
    }));
    const failed = results.flatMap((res) => (res.status === 'rejected' ? [res.reason as unknown] : []));
    if (failed.length === 0) return;
    if (failed.some(isCancellation)) throw failed.find(isCancellation);
    const outcomes = report.sinks.filter((s) => s.status === 'failed');
    const failure = ApplicationFailure.create({
      message: `${outcomes.length} of ${results.length} sinks failed: ${outcomes.map((o) => `sink ${o.sink} → ${o.target}: ${o.error}`).join('; ')}`,
      type: errorType(failed[0]) ?? 'UNKNOWN',
      nonRetryable: true,
    });
    // The message says it all; a stack would put the worker's file paths into the run's history.
    failure.stack = '';
    throw failure;
  });

  await commitWatermarks(acts, plan, run, report, ingested);
  runCompleted(report, now());
  return report;
}

const refsOf = (out: IngestOutput | TransformOutput): DatasetRef[] => ('ref' in out ? [out.ref, ...(out.extra ?? [])] : Object.values(out.datasets));

function stagedRefs(resume: NonNullable<RunPlan['resume']>): DatasetRef[] {
  return [...Object.values(resume.ingest), resume.standardize, resume.preprocess].flatMap((out) => (out ? refsOf(out) : []));
}
