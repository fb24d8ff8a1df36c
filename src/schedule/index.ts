/**
 * Pipelines on Temporal Schedules (what `ferry schedule` uses; no scheduler of Ferry's own).
 *
 *   import { schedulePlans, applySchedule, ferrySchedule, backfill, backfillRange } from './schedule/index.js';
 *   const { plans } = await schedulePlans('config/pipelines');
 *   for (const plan of plans) await applySchedule(client, plan, { taskQueue: 'ferry' });   // 'created' | 'updated' | 'unchanged'
 *   const range = backfillRange('2024-01-01', '2024-01-03', 'UTC');
 *   if (typeof range !== 'string') await backfill(client, 'daily-sales', range, 'buffer_all', { jitter: false });
 */
export { scheduleOptions, type DeployedSchedule, type FerryMemo } from './options.js';
export { temporalSpec, temporalPolicies, specSummary, specDetails } from './spec.js';
export { planHash, planDiff, canonicalJson } from './plan-diff.js';
export { schedulePlan, schedulePlans, pipelineFiles, type SchedulePlans } from './files.js';
export { applySchedule, pruneSchedules, type ApplyOutcome } from './deploy.js';
export { ferrySchedule, ferrySchedules, scheduledRuns, matchingTimes, unknownSchedule, type FerrySchedule, type ScheduledRun } from './read.js';
export { backfill, backfillRange, scheduledTimeOn, BACKFILL_OVERLAPS, type BackfillOverlap } from './backfill.js';
