/**
 * The `pipeline` workflow: ingest (one activity per source, in parallel) → standardize →
 * preprocess → deliver (one activity per sink, in parallel, every sink awaited). Only
 * `DatasetRef`s pass between stages; the rows stay in the staging store. A run started by
 * `ferry retry` (plan.resume) reuses the staged outputs that still verify and delivers only the
 * sinks that did not complete. Orchestration only: slices, report and stage running live beside it.
 */
import { defineQuery, setHandler, workflowInfo, ApplicationFailure, isCancellation } from '@temporalio/workflow';
import type { RunPlan, RunContext, RunReport, DatasetRef, IngestOutput, TransformOutput } from '../src/run.js';
import { ingestSource, parentsOf } from './ingest-source.js';
import { commitWatermarks } from './watermarks.js';
import { activityProxies, runStage, runFinished, now } from './stages.js';
import { transformSlice } from './slices.js';
import { deliverSink } from './paged.js';
import { newReport, summary, sinkDelivered, sinkFailed, runCompleted, runFailure, errorType } from './report.js';
import { runContext, tagRun, keepReport } from './run-context.js';

/** Live progress of a run: the stage, and rows per dataset of every finished activity. */
export const progressQuery = defineQuery<RunReport>('progress');

export async function pipeline(plan: RunPlan): Promise<RunReport> {
  const run = runContext(plan, workflowInfo());
  const report = newReport(plan, run, now());
  setHandler(progressQuery, () => report);
  tagRun(plan, run);
  try {
    const result = await runPipeline(plan, run, report);
    runFinished(report);
    return result;
  } catch (err) {
    keepReport(report); // a failed or cancelled run's report stays readable without a worker
    runFinished(report, err);
    throw isCancellation(err) || err instanceof ApplicationFailure ? err : runFailure(err);
  }
}

async function runPipeline(plan: RunPlan, run: RunContext, report: RunReport): Promise<RunReport> {
  const { spec, resume } = plan;
  const acts = activityProxies(spec.settings);

  const datasets: Record<string, DatasetRef> = {};
  const record = (datasetsOfStage: RunReport['stages'][number]['datasets'], ref: DatasetRef) => {
    datasets[ref.dataset] = ref;
    datasetsOfStage.push(summary(ref));
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
