/**
 * The quality activity: loads the run's datasets, checks every rule (src/quality/check.ts),
 * profiles each dataset, and, where a quarantine or ask rule exists, stages the dataset split in two
 * (kept and `<dataset>_rejects`, src/quality/split.ts). It decides nothing: the workflow reads the
 * outcomes (src/quality/verdict.ts).
 */
import type { QualityInput, QualityOutput, DatasetRef, RunContext } from '../src/run.js';
import type { StagingStore } from '../src/staging/store.js';
import type { HistoricProfile } from '../src/quality/rule.js';
import { stageDataset } from '../src/staging/stage.js';
import { checkRules } from '../src/quality/check.js';
import { splitDataset } from '../src/quality/split.js';
import { splitDatasets } from '../src/quality/policy.js';
import { profileOf } from '../src/quality/profile.js';
import { historyOf } from '../src/quality/history.js';
import { ident } from '../src/table/engine.js';
import { withActivityContext, type Reporter } from './boundary.js';

/** Earlier successful runs' profiles of a dataset, newest first (src/quality/history.ts keeps them). */
export type HistoryReader = (staging: StagingStore, pipeline: string, dataset: string, run: RunContext, limit: number) => Promise<HistoricProfile[]>;
const recordedHistory: HistoryReader = (staging, pipeline, dataset, run, limit) => historyOf(staging, pipeline, dataset, run)(limit);

export function qualityActivity(staging: StagingStore, report?: Reporter, history: HistoryReader = recordedHistory) {
  return async function quality(input: QualityInput): Promise<QualityOutput> {
    const { pipeline, run, spec, inputs } = input;
    return withActivityContext('quality', { stage: 'quality' }, async (scope): Promise<QualityOutput> => {
      // Every dataset of the run is opened (a view, nothing read yet): sql and referential rules may read any.
      for (const [name, ref] of Object.entries(inputs)) await scope.table.loadParquet(name, await staging.readDataset(ref, scope.workdir));
      // Datasets with rules are read once, into tables (a stable rowid for the flags and the split);
      // the profiles are of the input as it came, before a split replaces a dataset by its kept rows.
      for (const name of new Set(spec.rules.map((r) => r.dataset))) {
        if (name in inputs) await scope.table.replace(name, `SELECT * FROM ${ident(name)}`);
      }
      const profiles: QualityOutput['profiles'] = {};
      for (const name of Object.keys(inputs)) {
        scope.progress({ note: `profile ${name}` });
        profiles[name] = await profileOf(scope.table, name);
      }
      const checked = await checkRules(scope.table, {
        pipeline, run, spec, profiles,
        history: (dataset, limit) => history(staging, pipeline, dataset, run, limit),
        progress: (note) => scope.progress({ note }),
      });
      const split: QualityOutput['split'] = {};
      const at = { pipeline, workflowId: scope.workflowId, stage: 'quality', workdir: scope.workdir };
      for (const dataset of splitDatasets(spec)) {
        scope.progress({ note: `split ${dataset}` });
        const { kept, rejects } = await splitDataset(scope.table, dataset, checked.flags[dataset]!);
        const refs: DatasetRef[] = [await stageDataset(staging, scope.table, kept, at), await stageDataset(staging, scope.table, rejects, at)];
        split[dataset] = { kept: refs[0]!, rejects: refs[1]! };
      }
      return { outcomes: checked.outcomes, profiles, split };
    }, {
      report,
      summarize: (out) => `${out.outcomes.length} rules, ${out.outcomes.filter((o) => o.status === 'failed').length} failed`,
      pipeline,
    });
  };
}
