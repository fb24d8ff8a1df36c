/** Canonical JSON, the plan hash, and what differs between a deployed plan and a file's. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalJson, planHash, planDiff, planDrift } from '../../../src/schedule/plan-diff.js';
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

describe('planDrift', () => {
  it('up to date; what differs, with the apply that deploys it', () => {
    assert.equal(planDrift('p', plan(), plan(), 'p.yaml'), 'up to date with p.yaml');
    assert.equal(planDrift('p', plan(), plan({ schedule: { cron: '@hourly' } }), 'p.yaml'), 'differs from p.yaml: schedule (ferry schedule apply p.yaml)');
  });
  it('a file of another pipeline: no diff and no apply (that apply would change the other pipeline\'s schedule)', () => {
    const other = { ...plan({ name: 'q' }), pipeline: 'q', file: 'q.yaml' };
    assert.equal(planDrift('p', plan(), other, 'q.yaml'), 'cannot compare with q.yaml: it is pipeline q, not p (--file names the file of p)');
  });
  it('a file without a schedule: section: delete or prune, not apply (apply would skip it)', () => {
    assert.equal(planDrift('p', plan(), plan({ schedule: undefined }), 'p.yaml'), 'differs from p.yaml: it has no schedule: section any more (ferry schedule delete p, or apply its directory with --prune)');
  });
});
