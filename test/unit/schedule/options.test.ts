/** A pipeline's Temporal Schedule: id, action (plan without run, ids, attributes, memo), policies, state; its hash. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { scheduleOptions } from '../../../src/schedule/options.js';
import { pipelineSchema } from '../../../src/pipeline/schema.js';
import type { RunPlan } from '../../../src/run.js';

const plan = (schedule: unknown = { cron: '0 2 * * *', timezone: 'Europe/Berlin' }, extra: Partial<RunPlan> = {}): RunPlan => ({
  pipeline: 'daily',
  file: 'config/pipelines/daily.yaml',
  spec: pipelineSchema.parse({
    name: 'daily',
    description: 'one day of sales',
    sources: { sales: { type: 'file', path: 'data/sales-{run_date}.csv' } },
    sinks: { out: { type: 'file', input: 'sales', path: 'out/{run_date}.csv' } },
    schedule,
  }),
  connections: {},
  params: {},
  ...extra,
});

describe('scheduleOptions', () => {
  it('the schedule of a pipeline, as Temporal takes it', () => {
    const p = plan();
    const { options, hash } = scheduleOptions(p, { taskQueue: 'nightly' });
    assert.match(hash, /^sha256:[0-9a-f]{64}$/);
    const { staticSummary, staticDetails, ...action } = options.action;
    assert.deepEqual({ ...options, action }, {
      scheduleId: 'daily',
      spec: { cronExpressions: ['0 2 * * *'], timezone: 'Europe/Berlin' },
      policies: { overlap: 'SKIP', catchupWindow: 86_400_000, pauseOnFailure: false },
      action: {
        type: 'startWorkflow',
        workflowType: 'pipeline',
        workflowId: 'daily',
        taskQueue: 'nightly',
        args: [p],
        memo: { ferry: { file: 'config/pipelines/daily.yaml', planHash: hash } },
        typedSearchAttributes: [{ key: { name: 'FerryPipeline', type: 'KEYWORD' }, value: 'daily' }, { key: { name: 'FerryTrigger', type: 'KEYWORD' }, value: 'schedule' }],
      },
      memo: { ferry: { pipeline: 'daily' } },
      typedSearchAttributes: [{ key: { name: 'FerryPipeline', type: 'KEYWORD' }, value: 'daily' }],
      state: { paused: false },
    });
    assert.equal(staticSummary, 'daily: one day of sales');
    assert.match(staticDetails ?? '', /^\*\*daily\*\* \(config\/pipelines\/daily\.yaml\)\n/);
  });

  it('a plan\'s run is never deployed: each run takes its scheduled time', () => {
    const { options, hash } = scheduleOptions(plan(undefined, { run: { time: '2024-01-05T00:00:00.000Z', trigger: 'cli' } }), { taskQueue: 'q' });
    assert.equal('run' in (options.action.args![0] as object), false);
    assert.equal(hash, scheduleOptions(plan(), { taskQueue: 'q' }).hash);
  });

  it('paused: true deploys it paused, with a note naming the file', () => {
    assert.deepEqual(scheduleOptions(plan({ cron: '@daily', paused: true }), { taskQueue: 'q' }).options.state, { paused: true, note: 'deployed paused (schedule.paused in config/pipelines/daily.yaml)' });
  });

  it('the hash is stable, and changes with the plan, the schedule or the task queue', () => {
    const base = scheduleOptions(plan(), { taskQueue: 'q' }).hash;
    assert.equal(scheduleOptions(plan(), { taskQueue: 'q' }).hash, base);
    const changed = [
      scheduleOptions(plan(), { taskQueue: 'other' }).hash,
      scheduleOptions(plan({ cron: '0 3 * * *', timezone: 'Europe/Berlin' }), { taskQueue: 'q' }).hash,
      scheduleOptions(plan({ cron: '0 2 * * *', timezone: 'Europe/Paris' }), { taskQueue: 'q' }).hash,
      scheduleOptions(plan(undefined, { params: { region: 'eu' } }), { taskQueue: 'q' }).hash,
    ];
    assert.equal(new Set([base, ...changed]).size, 5);
  });

  it('a pipeline without a schedule: section is a config error', () => {
    const p = plan();
    delete p.spec.schedule;
    assert.throws(() => scheduleOptions(p, { taskQueue: 'q' }), { name: 'FerryConfigError', message: 'pipeline daily has no schedule: section' });
  });
});
