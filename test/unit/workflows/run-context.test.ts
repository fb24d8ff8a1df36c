/** The logical run a workflow works out: from the client, from a schedule's nominal time, or from its own start. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TypedSearchAttributes } from '@temporalio/common';
import { runContext } from '../../../workflows/run-context.js';
import { SCHEDULED_START_TIME } from '../../../src/search-attributes.js';
import type { RunPlan } from '../../../src/run.js';

const plan = (extra: Partial<RunPlan> = {}, timezone?: string): RunPlan =>
  ({ pipeline: 'p', file: 'p.yaml', spec: { schedule: timezone ? { timezone } : undefined }, connections: {}, params: {}, ...extra }) as unknown as RunPlan;
const info = (scheduled?: Date) => ({
  workflowId: 'wf-1',
  startTime: new Date('2024-03-01T10:00:00.000Z'),
  typedSearchAttributes: new TypedSearchAttributes(scheduled ? [{ key: SCHEDULED_START_TIME, value: scheduled }] : []),
});

test('a manual run: the time and trigger the client gave', () => {
  assert.deepEqual(runContext(plan({ run: { time: '2024-01-05T00:00:00.000Z', trigger: 'cli' } }), info()),
    { key: 'wf-1', time: '2024-01-05T00:00:00.000Z', date: '2024-01-05', timezone: 'UTC', trigger: 'cli' });
});

test('a scheduled run: Temporal\'s scheduled time, its date in the schedule\'s zone, trigger schedule', () => {
  assert.deepEqual(runContext(plan({}, 'Europe/Berlin'), info(new Date('2024-01-04T23:30:00Z'))),
    { key: 'wf-1', time: '2024-01-04T23:30:00.000Z', date: '2024-01-05', timezone: 'Europe/Berlin', trigger: 'schedule' });
});

test('a retried scheduled run keeps the time it was for; a run from another program without one is dated when it started', () => {
  assert.equal(runContext(plan({ run: { time: '2024-01-05T02:00:00.000Z', trigger: 'retry' } }), info()).time, '2024-01-05T02:00:00.000Z');
  assert.deepEqual(runContext(plan(), info()), { key: 'wf-1', time: '2024-03-01T10:00:00.000Z', date: '2024-03-01', timezone: 'UTC', trigger: 'client' });
});
