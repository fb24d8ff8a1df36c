/**
 * A run's report rebuilt from its history alone (a terminated run kept none): the plan from the
 * start event, each activity's stage, rows and error from its events, the stage in flight at the
 * end marked as the way the run ended, empty stages before it skipped and after it pending.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { temporal } from '@temporalio/proto';
import { activitiesOf, endOfHistory, reportFromHistory } from '../../src/run-history.js';

/** Events written as plain objects (numbers for ids), as the SDK's decoder would hand them over. */
const asHistory = (h: unknown) => h as temporal.api.history.v1.IHistory;

const p = (v: unknown) => ({ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from(JSON.stringify(v)) });
const ps = (v: unknown) => ({ payloads: [p(v)] });
const at = (s: number) => ({ seconds: 1_767_225_600 + s, nanos: 0 }); // 2026-01-01T00:00:00Z + s
const ref = (dataset: string, rows: number) => ({ dataset, rows, columns: [{ name: 'id', type: 'INTEGER' }], uri: `file:///s/${dataset}.parquet` });

const plan = {
  pipeline: 'p', file: 'p.yaml', params: {}, connections: {}, run: { time: '2024-01-05T00:00:00.000Z', trigger: 'cli' },
  spec: { sources: { a: {}, b: {} }, standardize: [], preprocess: [{ type: 'select' }], sinks: { out: { type: 'file', input: 'a', path: 'out.csv' } } },
};
const history = asHistory({
  events: [
    { eventId: 1, eventTime: at(0), workflowExecutionStartedEventAttributes: { input: ps(plan) } },
    { eventId: 5, eventTime: at(1), userMetadata: { summary: p('ingest a') }, activityTaskScheduledEventAttributes: { activityType: { name: 'ingest' }, input: ps({ dataset: 'a' }) } },
    { eventId: 6, eventTime: at(1), userMetadata: { summary: p('ingest b') }, activityTaskScheduledEventAttributes: { activityType: { name: 'ingest' }, input: ps({ dataset: 'b' }) } },
    { eventId: 7, eventTime: at(2), activityTaskStartedEventAttributes: { scheduledEventId: 5, attempt: 1 } },
    { eventId: 8, eventTime: at(3), activityTaskCompletedEventAttributes: { scheduledEventId: 5, result: ps({ ref: ref('a', 3), detail: 'a.csv' }) } },
    { eventId: 9, eventTime: at(4), activityTaskStartedEventAttributes: { scheduledEventId: 6, attempt: 3 } },
    { eventId: 10, eventTime: at(9), workflowExecutionTerminatedEventAttributes: { reason: 'stuck' } },
  ],
});

test('the activities and how the run ended', () => {
  assert.deepEqual(activitiesOf(history).map((a) => [a.summary, a.stage, a.subject, a.status, a.attempt]), [
    ['ingest a', 'ingest', 'a', 'completed', 1],
    ['ingest b', 'ingest', 'b', 'running', 3],
  ]);
  assert.deepEqual(endOfHistory(history), { status: 'terminated', cause: 'stuck' });
});

test('the report: ingest terminated in flight with the rows it had, the rest pending, the sink not started', () => {
  const report = reportFromHistory(history, 'terminated', 'wf-1')!;
  assert.deepEqual(report.stages, [
    { stage: 'ingest', status: 'terminated', datasets: [{ dataset: 'a', rows: 3, columns: 1, uri: 'file:///s/a.parquet' }], startedAt: '2026-01-01T00:00:01.000Z', finishedAt: '2026-01-01T00:00:09.000Z', durationMs: 8000 },
    { stage: 'standardize', status: 'pending', datasets: [] },
    { stage: 'preprocess', status: 'pending', datasets: [] },
    { stage: 'quality', status: 'pending', datasets: [] },
    { stage: 'deliver', status: 'pending', datasets: [] },
  ]);
  assert.deepEqual(report.sinks, [{ sink: 'out', type: 'file', status: 'not started', target: 'file out.csv' }]);
  assert.equal(report.pipeline, 'p');
  assert.equal(report.workflowId, 'wf-1');
  assert.equal(report.durationMs, 9000);
  assert.equal(report.run.trigger, 'cli');
});

test('a stage with nothing to do is skipped once the run went past it; a history without a plan has no report', () => {
  const [start, a, , aStarted, aDone] = history.events!;
  const later = asHistory({
    events: [
      start, a, aStarted, aDone,
      { eventId: 11, eventTime: at(4), userMetadata: { summary: p('preprocess: 1 step') }, activityTaskScheduledEventAttributes: { activityType: { name: 'transform' }, input: ps({ stage: 'preprocess' }) } },
      { eventId: 12, eventTime: at(5), activityTaskFailedEventAttributes: { scheduledEventId: 11, failure: { message: 'Activity task failed', cause: { message: 'step 1: no column x' } } } },
      { eventId: 13, eventTime: at(6), workflowExecutionTimedOutEventAttributes: {} },
    ],
  });
  const report = reportFromHistory(later, 'timed out')!;
  assert.deepEqual(report.stages.map((s) => [s.stage, s.status, s.error]), [
    ['ingest', 'completed', undefined], ['standardize', 'skipped', undefined], ['preprocess', 'failed', 'step 1: no column x'], ['quality', 'pending', undefined], ['deliver', 'pending', undefined],
  ]);
  assert.deepEqual(endOfHistory(later), { status: 'timed out', cause: 'the workflow timed out' });
  assert.equal(reportFromHistory(asHistory({ events: [{ eventId: 1, workflowExecutionStartedEventAttributes: { input: ps({ hello: 1 }) } }] }), 'terminated'), undefined);
});
