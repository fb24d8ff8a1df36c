/**
 * The activities a Ferry worker registers, built over their dependencies.
 *
 *   const activities = createActivities({ staging: stagingFromEnv() });
 *   await Worker.create({ activities, … });
 */
import type { StagingStore } from '../src/staging/store.js';
import type { Reporter } from './boundary.js';
import { ingestActivity } from './ingest.js';
import { transformActivity } from './transform.js';
import { deliverActivity, deliverBatchesActivity } from './deliver.js';
import { verifyActivity } from './verify.js';
import { planPartsActivity, combinePartsActivity } from './parts.js';
import { commitWatermarksActivity } from './watermarks.js';
import { qualityActivity } from './quality.js';
import { finishRunActivity } from './finish.js';
import { startConnectionLimit } from './connection-limit.js';

export type ActivityDeps = {
  staging: StagingStore;
  /** Told about every finished attempt (the `ferry worker` command prints them). */
  report?: Reporter;
};

export function createActivities({ staging, report }: ActivityDeps) {
  return {
    ingest: ingestActivity(staging, report),
    transform: transformActivity(staging, report),
    deliver: deliverActivity(staging, report),
    deliverBatches: deliverBatchesActivity(staging, report),
    verifyStaged: verifyActivity(staging, report),
    planParts: planPartsActivity(staging, report),
    combineParts: combinePartsActivity(staging, report),
    commitWatermarks: commitWatermarksActivity(staging, report),
    quality: qualityActivity(staging, report),
    finishRun: finishRunActivity(staging, report),
    startConnectionLimit,
  };
}
