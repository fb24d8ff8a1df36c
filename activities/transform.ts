/**
 * The transform activity: one per step stage (standardize, preprocess). It opens the staged
 * datasets the steps read, runs the steps in DuckDB, and stages every dataset the steps wrote.
 */
import type { TransformInput, TransformOutput, DatasetRef } from '../src/run.js';
import type { StagingStore } from '../src/staging/store.js';
import { stageDataset } from '../src/staging/stage.js';
import { applySteps, stepOf } from '../src/table/steps/index.js';
import { withActivityContext, type Reporter } from './boundary.js';
import { checkNames, checkSteps, fromLegacy } from './slice.js';

export function transformActivity(staging: StagingStore, report?: Reporter) {
  return async function transform(raw: TransformInput): Promise<TransformOutput> {
    const { pipeline, stage, steps: rawSteps, inputs, run } = fromLegacy(raw);
    return withActivityContext(stage, { stage }, async (scope) => {
      checkNames({ pipeline, stage }, { stage: String(stage) });
      const steps = checkSteps(rawSteps, { stage }, run);
      const needed = new Set(steps.flatMap((s) => stepOf(s).reads(s)));
      // sql steps may read datasets they did not declare: then open them all, they are only views.
      const openAll = steps.some((s) => s.type === 'sql');
      for (const [name, ref] of Object.entries(inputs)) {
        if (openAll || needed.has(name)) await scope.table.loadParquet(name, await staging.readDataset(ref, scope.workdir));
      }
      const written = new Set<string>();
      await applySteps(scope.table, stage, steps, (index, outputs) => {
        for (const output of outputs) written.add(output);
        scope.progress({ note: `step ${index + 1}/${steps.length}` });
      });
      const datasets: Record<string, DatasetRef> = {};
      const at = { pipeline, workflowId: scope.workflowId, stage, workdir: scope.workdir };
      for (const dataset of written) datasets[dataset] = await stageDataset(staging, scope.table, dataset, at);
      return { datasets };
    }, { report, summarize: (out) => Object.values(out.datasets).map((d) => `${d.dataset} ${d.rows}`).join(', '), pipeline });
  };
}
