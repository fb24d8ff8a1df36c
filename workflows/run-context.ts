/**
 * The logical run of a workflow execution (see RunContext in src/run.ts), worked out once at the
 * start of the run. Pure functions of the plan and workflowInfo(): deterministic on replay.
 *
 *   const run = runContext(plan, workflowInfo());   // { key, time, date, timezone, trigger }
 */
import { patched, upsertMemo, upsertSearchAttributes, type WorkflowInfo } from '@temporalio/workflow';
import type { RunContext, RunPlan, RunReport } from '../src/run.js';
import { localDate } from '../src/run-date.js';
import { FERRY_PIPELINE, FERRY_RUN_DATE, FERRY_TRIGGER, SCHEDULED_START_TIME } from '../src/search-attributes.js';

export function runContext(plan: RunPlan, info: Pick<WorkflowInfo, 'workflowId' | 'startTime' | 'typedSearchAttributes'>): RunContext {
  const scheduled = info.typedSearchAttributes.get(SCHEDULED_START_TIME);
  const time = plan.run?.time ?? scheduled?.toISOString() ?? info.startTime.toISOString();
  const trigger = plan.run?.trigger ?? (scheduled ? 'schedule' : 'client');
  const timezone = plan.spec.schedule?.timezone ?? 'UTC';
  return { key: info.workflowId, time, date: localDate(time, timezone), timezone, trigger };
}

/**
 * The version marker of the run-identity change (search attributes and the kept report): runs
 * recorded before it replay without these commands, runs after it with them. See the README's
 * "Changing the workflow safely"; test/replay/ holds histories from before and after.
 */
export const RUN_IDENTITY_PATCH = 'run-identity';

/** Sets Ferry's search attributes on the run, so `ferry runs` and the Temporal UI can filter by them. */
export function tagRun(plan: RunPlan, run: RunContext): void {
  if (!patched(RUN_IDENTITY_PATCH)) return;
  upsertSearchAttributes([
    { key: FERRY_PIPELINE, value: plan.pipeline },
    { key: FERRY_RUN_DATE, value: run.date },
    { key: FERRY_TRIGGER, value: run.trigger },
  ]);
}

/** Keeps the report of a run that failed or was cancelled in its memo (a completed run returns it). */
export function keepReport(report: RunReport): void {
  if (!patched(RUN_IDENTITY_PATCH)) return;
  upsertMemo({ report });
}
