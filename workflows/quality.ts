/**
 * The quality stage (workflow code): checks the rules in one activity, then acts on the verdict —
 * fail the run before any sink is written, split the data (quarantine), or wait for a person (ask).
 * The datasets sinks read are updated in place: `<dataset>` becomes the kept rows and
 * `<dataset>_rejects` the rejected ones.
 *
 *   await qualityStage(acts, plan, run, report, datasets, profiles);
 */
import { ApplicationFailure } from '@temporalio/workflow';
import type { RunPlan, RunContext, RunReport, DatasetRef, DatasetProfile, StageReport, QualityOutput, Decision } from '../src/run.js';
import type { StageName } from '../src/pipeline/schema.js';
import { verdictOf, failedErrors } from '../src/quality/verdict.js';
import { runStage, type activityProxies } from './stages.js';
import { awaitDecision } from './gate.js';
import { summary } from './report.js';

type Acts = ReturnType<typeof activityProxies>;

export async function qualityStage(
  acts: Acts,
  plan: RunPlan,
  run: RunContext,
  report: RunReport,
  datasets: Record<string, DatasetRef>,
  profiles: Record<string, DatasetProfile>,
  staged: { stage: StageName; ref: DatasetRef }[],
): Promise<void> {
  const spec = plan.spec.quality;
  await runStage(report, 'quality', !spec || spec.rules.length === 0, async (r) => {
    const out = await acts.quality({ pipeline: plan.pipeline, run, spec: spec!, inputs: { ...datasets } });
    Object.assign(profiles, out.profiles);
    const verdict = verdictOf(out.outcomes);
    report.quality = { verdict, outcomes: out.outcomes };
    const failed = failedErrors(out.outcomes);
    if (verdict === 'fail') throw qualityFailure(failed.filter((o) => o.onFail === 'fail').map((o) => `${o.name}: ${o.message}`));
    let decision: Decision | undefined;
    if (verdict === 'ask') {
      decision = await awaitDecision(report, spec!.ask, failed);
      report.decision = decision;
      if (decision.decision === 'reject') {
        throw qualityFailure([`rejected by ${decision.by}${decision.timedOut ? ' (no decision before the timeout)' : ''}${decision.comment ? `: ${decision.comment}` : ''}`]);
      }
    }
    applySplit(out, decision?.decision === 'approve', datasets, r, staged);
  });
}

/**
 * The datasets sinks read after the gate: kept rows in place of the dataset and `<dataset>_rejects`
 * beside it; an approved run delivers every row (its rejects still list what broke the rules).
 */
function applySplit(out: QualityOutput, approved: boolean, datasets: Record<string, DatasetRef>, r: StageReport, staged: { stage: StageName; ref: DatasetRef }[]): void {
  for (const [dataset, { kept, rejects }] of Object.entries(out.split)) {
    if (!approved) datasets[dataset] = kept;
    datasets[rejects.dataset] = rejects;
    for (const ref of approved ? [rejects] : [kept, rejects]) {
      r.datasets.push(summary(ref));
      staged.push({ stage: 'quality', ref });
    }
  }
}

function qualityFailure(reasons: string[]): ApplicationFailure {
  const failure = ApplicationFailure.create({ message: `quality gate: ${reasons.join('; ')}; no sink was written`, type: 'DATA', nonRetryable: true });
  failure.stack = '';
  return failure;
}
