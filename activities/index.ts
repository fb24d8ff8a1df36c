/**
 * The activities a Ferry worker registers, built over their dependencies.
 *
 *   const activities = createActivities({ staging: stagingFromEnv() });
 *   await Worker.create({ activities, … });
 */
import type { StagingStore } from '../src/staging/store.js';
import { ingestActivity } from './ingest.js';
import { transformActivity } from './transform.js';
import { deliverActivity } from './deliver.js';

export type ActivityDeps = { staging: StagingStore };

export function createActivities({ staging }: ActivityDeps) {
  return {
    ingest: ingestActivity(staging),
    transform: transformActivity(staging),
    deliver: deliverActivity(staging),
  };
}
