/** Canonical JSON, the plan hash, and what differs between a deployed plan and a file's. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalJson, planHash, planDiff } from '../../../src/schedule/plan-diff.js';
import { pipelineSchema } from '../../../src/pipeline/schema.js';
import type { RunPlan } from '../../../src/run.js';

const plan = (over: Record<string, unknown> = {}, rest: Partial<RunPlan> = {}): RunPlan => ({
  pipeline: 'p',
  file: 'p.yaml',
  spec: pipelineSchema.parse({
    name: 'p',
    sources: { a: { type: 'file', path: 'a.csv' }, b: { type: 'file', path: 'b.csv' } },
    sinks: { out: { type: 'file', input: 'a', path: 'out.csv' } },
    schedule: { cron: '@daily' },
    ...over,
  }),
  connections: {},
  params: {},
  ...rest,
});

describe('canonicalJson and planHash', () => {
  it('key order and undefined values do not matter; array order does', () => {
    assert.equal(canonicalJson({ b: 1, a: { d: [2, 1], c: undefined } }), '{"a":{"d":[2,1]},"b":1}');
    assert.equal(planHash({ x: 1, y: 2 }), planHash({ y: 2, x: 1 }));
    assert.notEqual(planHash([1, 2]), planHash([2, 1]));
    assert.equal(planHash({}), 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a');
  });
});

describe('planDiff', () => {
  it('the same plan (also after a JSON round trip): no differences', () => {
    assert.deepEqual(planDiff(JSON.parse(JSON.stringify(plan())) as RunPlan, plan()), []);
  });
  it('names changed, added and removed datasets, and other top-level keys, in the spec\'s order', () => {
    const next = plan({
      description: 'now described',
      sources: { a: { type: 'file', path: 'a2.csv' }, c: { type: 'file', path: 'c.csv' } },
      sinks: { out: { type: 'file', input: 'a', path: 'out.csv' } },
      schedule: { cron: '@hourly' },
    }, { params: { day: '1' }, file: 'q.yaml' });
    assert.deepEqual(planDiff(plan(), next), ['description', 'sources.a', 'sources.b (removed)', 'sources.c (added)', 'schedule', 'run params', 'file (was p.yaml)']);
  });
  it('steps, settings and connections', () => {
    const next = plan({ settings: { heartbeat_timeout: '30s' }, preprocess: [{ type: 'dedupe', input: 'a', keys: ['id'] }] }, { connections: { wh: { type: 'postgres', host: 'db' } as never } });
    assert.deepEqual(planDiff(plan(), next), ['preprocess', 'settings', 'connections.wh (added)']);
  });
});
