/**
 * The recorded histories hold the plan once (the workflow input): every activity input is its own
 * slice, with no other source's or sink's spec, and nothing in them names a worker.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { recordedHistories } from './histories.js';

type Payload = { data: string };
type Event = { workflowExecutionStartedEventAttributes?: { input: { payloads: Payload[] } }; activityTaskScheduledEventAttributes?: { activityType: { name: string }; input: { payloads: Payload[] } } };

const decode = (p: Payload) => JSON.parse(Buffer.from(p.data, 'base64').toString('utf8')) as Record<string, unknown>;

for (const { name, text, history } of recordedHistories()) {
  test(`${name}: activity inputs are plan slices`, () => {
    const events = history.events as Event[];
    const plan = decode(events[0]!.workflowExecutionStartedEventAttributes!.input.payloads[0]!) as { spec: { sources: Record<string, unknown>; sinks: Record<string, unknown> } };
    const specs = { ...plan.spec.sources, ...plan.spec.sinks };
    const scheduled = events.flatMap((e) => (e.activityTaskScheduledEventAttributes ? [e.activityTaskScheduledEventAttributes] : []));
    assert.ok(scheduled.length > 0);
    for (const a of scheduled) {
      const input = decode(a.input.payloads[0]!);
      // Planning and combining a fanned-out source carry that source's spec, as its ingest does.
      const own = ['ingest', 'planParts', 'combineParts'].includes(a.activityType.name) ? input.dataset : ['deliver', 'deliverBatches'].includes(a.activityType.name) ? input.sink : undefined;
      assert.equal(input.plan, undefined, `${a.activityType.name} carries the whole plan`);
      for (const [name, spec] of Object.entries(specs)) {
        if (name !== own) assert.ok(!JSON.stringify(input).includes(JSON.stringify(spec)), `${a.activityType.name} ${String(own ?? input.stage)} carries the spec of ${name}`);
      }
    }
    assert.deepEqual([...new Set(text.match(/"identity": "[^"]*"/g) ?? [])], ['"identity": "ferry-test-worker"']);
  });
}
