/** How `ferry schedule describe` and `list` print, checked exactly (no colour outside a terminal). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ScheduleDescription } from '@temporalio/client';
import { describeText, listText, localTime, durationText, isoSecond } from '../../../src/cli/schedule-text.js';
import { pipelineSchema } from '../../../src/pipeline/schema.js';
import type { RunPlan } from '../../../src/run.js';

const plan: RunPlan = {
  pipeline: 'daily-sales',
  file: 'config/pipelines/daily-sales.yaml',
  spec: pipelineSchema.parse({ name: 'daily-sales', sources: { s: { type: 'file', path: 'a.csv' } }, schedule: { cron: '30 23 * * *', timezone: 'Europe/Berlin', jitter: '30s' } }),
  connections: {},
  params: {},
};

const description = (paused: boolean, note?: string) => ({
  scheduleId: 'daily-sales',
  action: { type: 'startWorkflow', workflowType: 'pipeline', taskQueue: 'ferry' },
  policies: { overlap: 'BUFFER_ALL', catchupWindow: 86_400_000, pauseOnFailure: true },
  state: { paused, ...(note ? { note } : {}) },
  info: { nextActionTimes: [new Date('2024-01-08T22:30:12Z'), new Date('2024-01-09T22:30:00Z')], recentActions: [] },
}) as unknown as ScheduleDescription;

const runs = [
  { workflowId: 'daily-sales-2024-01-07T22:30:00Z', runId: 'r2', scheduledAt: new Date('2024-01-07T22:30:00Z'), takenAt: new Date('2024-01-07T22:30:04Z'), status: 'failed' as const },
  { workflowId: 'daily-sales-2024-01-06T22:30:00Z', runId: 'r1', scheduledAt: new Date('2024-01-06T22:30:00Z'), takenAt: new Date('2024-01-06T22:30:01Z'), status: 'completed' as const },
];

describe('describeText', () => {
  it('an active schedule: spec, policies, next runs in its zone, recent runs, the plan\'s state, the link', () => {
    assert.equal(describeText({ id: 'daily-sales', plan, description: description(false, 'unpaused with ferry schedule unpause'), runs, drift: 'up to date with config/pipelines/daily-sales.yaml', url: 'http://ui/schedules/daily-sales' }), [
      'daily-sales  active',
      '  pipeline    daily-sales from config/pipelines/daily-sales.yaml · task queue ferry',
      '  spec        cron 30 23 * * * Europe/Berlin · jitter up to 30s',
      '  policies    overlap buffer_all · catch-up window 1d · pause on failure yes',
      '  next runs',
      '    2024-01-08 23:30:12 Europe/Berlin  (2024-01-08T22:30:12Z)',
      '    2024-01-09 23:30 Europe/Berlin  (2024-01-09T22:30:00Z)',
      '  recent runs',
      '    daily-sales-2024-01-07T22:30:00Z  failed      started 2024-01-07T22:30:04Z',
      '    daily-sales-2024-01-06T22:30:00Z  completed   started 2024-01-06T22:30:01Z',
      '  plan        up to date with config/pipelines/daily-sales.yaml',
      '  Temporal UI http://ui/schedules/daily-sales',
      '',
    ].join('\n'));
  });

  it('a failed run: its Ferry message under it (Temporal\'s pause note only says "Activity task failed")', () => {
    const failed = [{ ...runs[0]!, error: 'stage ingest, dataset s, in/sales-2024-01-07.csv: file not found: in/sales-2024-01-07.csv' }];
    const text = describeText({ id: 'daily-sales', plan, description: description(true, 'paused due to workflow failure: daily-sales-2024-01-07T22:30:00Z: Activity task failed'), runs: failed, drift: 'x', url: 'u' });
    assert.match(text, /\n {2}recent runs\n {4}daily-sales-2024-01-07T22:30:00Z {2}failed {6}started 2024-01-07T22:30:04Z\n {6}stage ingest, dataset s, in\/sales-2024-01-07\.csv: file not found: in\/sales-2024-01-07\.csv\n {2}plan/);
  });

  it('a failed run that ferry retry continued: the retry\'s status beside it', () => {
    const text = describeText({ id: 'daily-sales', plan, description: description(false), runs: [{ ...runs[0]!, retried: 'completed' as const }], drift: 'x', url: 'u' });
    assert.match(text, /\n {4}daily-sales-2024-01-07T22:30:00Z {2}failed {6}started 2024-01-07T22:30:04Z {2}ferry retry: completed\n/);
    assert.equal(listText([{ id: 'daily-sales', plan, paused: false, last: { ...runs[0]!, retried: 'running' as const } }]).split('\n')[1],
      'daily-sales  cron 30 23 * * * Europe/Berlin  no      —                     2024-01-07T22:30:00Z failed (ferry retry: running)');
  });

  it('paused: the note, and no next runs', () => {
    const text = describeText({ id: 'daily-sales', plan, description: description(true, 'upstream late'), runs: [], drift: 'x', url: 'u' });
    assert.match(text, /^daily-sales {2}paused {2}\(upstream late\)\n/);
    assert.match(text, /\n {2}next runs {3}none while paused\n {2}recent runs none yet\n/);
  });
});

describe('listText', () => {
  it('a paused schedule shows no next run; the last run with its status', () => {
    assert.equal(listText([{ id: 'daily-sales', plan, paused: true, next: new Date('2024-01-08T22:30:00Z'), last: runs[0] }]), [
      'pipeline     schedule                        paused  next run              last run',
      'daily-sales  cron 30 23 * * * Europe/Berlin  yes     —                     2024-01-07T22:30:00Z failed',
      '',
    ].join('\n'));
  });
});

describe('time and duration text', () => {
  it('local times, UTC seconds, durations by their largest whole unit', () => {
    assert.equal(localTime(new Date('2024-03-31T01:30:00Z'), 'Europe/Berlin'), '2024-03-31 03:30 Europe/Berlin');
    assert.equal(isoSecond(new Date('2024-01-01T00:00:00.999Z')), '2024-01-01T00:00:00Z');
    assert.deepEqual([86_400_000, 5_400_000, 90_000, 1500].map(durationText), ['1d', '90m', '90s', '1500ms']);
  });
});
