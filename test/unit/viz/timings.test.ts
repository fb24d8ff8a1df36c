/** Activity timings from a history: named by summary, scheduled to closed, attempts from the started event. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { activityTimings } from '../../../src/viz/timings.js';

const at = (ms: number) => ({ seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 });
const summary = (text: string) => ({ summary: { metadata: { encoding: new TextEncoder().encode('json/plain') }, data: new TextEncoder().encode(JSON.stringify(text)) } });

test('each activity: its summary up to " → ", duration with retries, attempts; running ones open', () => {
  const history = { events: [
    { eventId: 5, eventTime: at(1000), activityTaskScheduledEventAttributes: { activityType: { name: 'ingest' } }, userMetadata: summary('ingest sales') },
    { eventId: 6, eventTime: at(1000), activityTaskScheduledEventAttributes: { activityType: { name: 'deliver' } }, userMetadata: summary('deliver api → http demo_api /ingest') },
    { eventId: 7, eventTime: at(1005), activityTaskStartedEventAttributes: { scheduledEventId: 5, attempt: 1 } },
    { eventId: 8, eventTime: at(1412), activityTaskCompletedEventAttributes: { scheduledEventId: 5 } },
    { eventId: 9, eventTime: at(1500), activityTaskScheduledEventAttributes: { activityType: { name: 'transform' } } },
    { eventId: 10, eventTime: at(4000), activityTaskStartedEventAttributes: { scheduledEventId: 6, attempt: 3 } },
    { eventId: 11, eventTime: at(4250), activityTaskFailedEventAttributes: { scheduledEventId: 6 } },
  ] };
  assert.deepEqual(activityTimings(history as never), [
    { activity: 'ingest sales', attempts: 1, closed: true, durationMs: 412 },
    { activity: 'deliver api', attempts: 3, closed: true, durationMs: 3250 },
    { activity: 'transform', attempts: 1, closed: false },
  ]);
});
