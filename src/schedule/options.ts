/**
 * The Temporal Schedule of a pipeline: id = the pipeline name; action = start the `pipeline`
 * workflow with the plan and workflow id = the pipeline name, to which Temporal appends the nominal
 * time (`retail-2024-01-05T00:00:00Z`, = datedRunId). The plan has no `run`: the workflow takes
 * Temporal's scheduled start time, so each run's date is resolved when it runs. Pure.
 *
 *   const deployed = scheduleOptions(plan, { taskQueue: 'ferry' });
 *   await client.schedule.create(deployed.options);    // deployed.hash goes in memo.ferry.planHash
 */
import type { ScheduleOptions, ScheduleOptionsStartWorkflowAction } from '@temporalio/client';
import type { Workflow } from '@temporalio/common';
import type { RunPlan } from '../run.js';
import { runMetadata, runSearchAttributes } from '../client.js';
import { FERRY_PIPELINE } from '../search-attributes.js';
import { ConfigError } from '../errors.js';
import { planHash } from './plan-diff.js';
import { temporalPolicies, temporalSpec } from './spec.js';

/** What Ferry keeps in a scheduled run's memo (the schedule's action memo): where the plan came from. */
export type FerryMemo = { file: string; planHash: string };

export type DeployedSchedule = {
  options: ScheduleOptions<ScheduleOptionsStartWorkflowAction<Workflow>>;
  hash: string;
};

export function scheduleOptions(plan: RunPlan, options: { taskQueue: string }): DeployedSchedule {
  const schedule = plan.spec.schedule;
  if (!schedule) throw new ConfigError(`pipeline ${plan.pipeline} has no schedule: section`, { file: plan.file });
  const { run: _run, ...scheduled } = plan; // never frozen: the workflow reads the scheduled time
  const spec = temporalSpec(schedule);
  const policies = temporalPolicies(schedule);
  const hash = planHash({ plan: scheduled, spec, policies, taskQueue: options.taskQueue });
  const memo: { ferry: FerryMemo } = { ferry: { file: plan.file, planHash: hash } };
  return {
    hash,
    options: {
      scheduleId: plan.pipeline,
      spec,
      policies,
      action: {
        type: 'startWorkflow',
        workflowType: 'pipeline',
        workflowId: plan.pipeline,
        taskQueue: options.taskQueue,
        args: [scheduled],
        memo,
        // FerryRunDate is set by the workflow itself, from the scheduled time.
        typedSearchAttributes: runSearchAttributes(plan.pipeline, undefined, 'schedule'),
        ...runMetadata(scheduled),
      },
      // The schedule's own memo and search attribute say it is Ferry's (list and prune look for them).
      memo: { ferry: { pipeline: plan.pipeline } },
      typedSearchAttributes: [{ key: FERRY_PIPELINE, value: plan.pipeline }],
      state: schedule.paused ? { paused: true, note: `deployed paused (schedule.paused in ${plan.file})` } : { paused: false },
    },
  };
}
