/**
 * The human gate in the CLI, against a fake Temporal client: `ferry runs --status waiting` (the
 * query, `waiting` in the table, the failing rules with sample rows from the memo), `ferry status`
 * of a waiting run (from its progress, or its memo with no worker), and `ferry approve|reject|
 * quarantine`: the Update sent, what happens next, and each refusal as one line with exit 1.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { userInfo } from 'node:os';
import { ApplicationFailure, WorkflowUpdateFailedError } from '@temporalio/client';
import type { Decision, GateState, RunReport } from '../../../src/run.js';
import { parseStatus, runQuery } from '../../../src/run-filter.js';
import type { GateMemo } from '../../../workflows/gate.js';
import { askOutcome, SAMPLE } from '../../support/gate.js';
import { RUN } from '../../support/run-context.js';
import { ferry } from './support.js';
import { fakeClient } from './fake-client.js';

const ATTRS = { FerryPipeline: 'p', FerryRunDate: '2024-01-05', FerryTrigger: 'cli', FerryGate: 'waiting' };
const gate: GateState = { askedAt: '2026-01-01T00:00:05.000Z', deadline: '2026-01-02T00:00:05.000Z', default: 'reject', rules: ['not_null:products.category'] };
const memo: GateMemo = { ...gate, failed: [askOutcome('row')] };
const waiting: RunReport = {
  pipeline: 'p', workflowId: 'run-1', run: RUN, status: 'waiting', stage: 'quality', startedAt: '2026-01-01T00:00:00.000Z',
  stages: [{ stage: 'quality', status: 'running', datasets: [] }], sinks: [], gate, quality: { verdict: 'ask', outcomes: [askOutcome('row'), { ...askOutcome('table'), status: 'passed' }] },
};
const WAITING_LINES = [
  /^ {2}waiting for a decision since 2026-01-01T00:00:05\.000Z \(\S+\); reject at 2026-01-02T00:00:05\.000Z unless decided$/,
  /^ {2}✖ not_null:products\.category {2}1 of 6 rows have NULL in category$/,
  /^ {6}product_id=P04, name=Cable, category=null, _reason=category is NULL$/,
  /^ {2}decide: ferry approve\|reject\|quarantine run-1 \[--comment TEXT\]$/,
];
const matchLines = (lines: string[], patterns: RegExp[]) => patterns.forEach((p, i) => assert.match(lines[i] ?? '', p));

describe('ferry runs --status waiting', () => {
  it('is running runs the gate marks waiting', () => {
    assert.equal(parseStatus('waiting'), 'waiting');
    assert.equal(runQuery({ status: 'waiting' }), `WorkflowType = 'pipeline' AND ExecutionStatus = 'Running' AND FerryGate = 'waiting'`);
  });

  it('lists them as waiting, each with its failing rule and sample rows from the memo (no worker needed)', async () => {
    const calls: string[] = [];
    const run = { workflowId: 'run-1', runId: 'r1', status: { name: 'RUNNING' }, startTime: new Date('2026-01-01T00:00:00Z'), typedSearchAttributes: { get: (k: { name: string }) => ATTRS[k.name as keyof typeof ATTRS] }, memo: { gate: memo } };
    const res = await ferry(['runs', '--status', 'waiting'], { connect: fakeClient(undefined, calls, [run]) });
    assert.equal(res.code, 0, res.err);
    const lines = res.out.split('\n');
    assert.match(lines[1]!, /^run-1 {8}p {9}2024-01-05 {2}cli {6}waiting /);
    assert.deepEqual(lines.slice(2, 4), ['', 'run-1']);
    matchLines(lines.slice(4), WAITING_LINES);
    assert.deepEqual(calls, [`list ${runQuery({ status: 'waiting' })}`]);
    const json = await ferry(['runs', '--status', 'waiting', '--json'], { connect: fakeClient(undefined, [], [run]) });
    assert.deepEqual((JSON.parse(json.out) as { status: string; waiting: GateMemo }[]).map((r) => [r.status, r.waiting.failed[0]?.samples]), [['running', [SAMPLE]]]);
  });
});

describe('ferry status of a waiting run', () => {
  it('says it waits, why and how to decide, from the run itself', async () => {
    const res = await ferry(['status', 'run-1'], { connect: fakeClient({ status: 'RUNNING', progress: waiting, attributes: ATTRS, memo: { gate: memo } }) });
    assert.equal(res.code, 0, res.err);
    const lines = res.out.split('\n');
    assert.match(lines[0]!, /^run-1 {2}WAITING {2}started /);
    const at = lines.findIndex((l) => l.startsWith('  waiting for a decision'));
    matchLines(lines.slice(at), WAITING_LINES);
  });

  it('with no worker answering, from its memo', async () => {
    const res = await ferry(['status', 'run-1'], { connect: fakeClient({ status: 'RUNNING', attributes: ATTRS, memo: { gate: memo } }) });
    const lines = res.out.split('\n');
    assert.match(lines[1]!, /^ {2}no worker answers on task queue q1/);
    matchLines(lines.slice(2), WAITING_LINES);
  });
});

describe('ferry approve | reject | quarantine', () => {
  const decided = (d: Partial<Decision>) => (_name: string, args: unknown[]) => ({ ...(args[0] as object), at: '2026-01-01T01:00:00.000Z', ...d });

  it('sends the decide Update with who and why, and says what happens next', async () => {
    const calls: string[] = [];
    const res = await ferry(['quarantine', 'run-1', '--by', 'ada', '--comment', 'late rows'], { connect: fakeClient({ status: 'RUNNING', progress: waiting, attributes: ATTRS, update: decided({}) }, calls) });
    assert.equal(res.code, 0, res.err);
    assert.deepEqual(calls.filter((c) => c.startsWith('update')), ['update decide run-1 r1 [{"decision":"quarantine","by":"ada","comment":"late rows"}]']);
    assert.equal(res.out, 'quarantined run-1 by ada at 2026-01-01T01:00:00.000Z (late rows)\n'
      + '  the run delivers the rows that pass and sets the rows that broke the rules aside (products → products_rejects)\n  follow it: ferry status run-1\n');
  });

  it('--by defaults to the OS user; reject says the run fails', async () => {
    const calls: string[] = [];
    const res = await ferry(['reject', 'run-1'], { connect: fakeClient({ status: 'RUNNING', progress: waiting, update: decided({}) }, calls) });
    const by = (JSON.parse(calls.find((c) => c.startsWith('update'))!.replace(/^update decide run-1 r1 /, '')) as { by: string }[])[0]!.by;
    assert.equal(by, userInfo().username);
    assert.equal(res.out.split('\n')[1], '  the run fails now ("quality gate: rejected …"); no sink is written');
  });

  it('each refusal is one line and exit 1: the run\'s own reason, no worker, an ended run, no such run', async () => {
    const refuse = () => {
      throw new WorkflowUpdateFailedError('Workflow Update failed', ApplicationFailure.create({ message: 'run run-1 is not waiting for a decision; it is in stage ingest' }));
    };
    const cases: [Parameters<typeof fakeClient>[0], string][] = [
      [{ status: 'RUNNING', progress: { ...waiting, status: 'running', stage: 'ingest' }, update: refuse }, 'error: run run-1 is not waiting for a decision; it is in stage ingest\n'],
      [{ status: 'RUNNING' }, 'error: no worker answers on task queue q1: start one (ferry worker --task-queue q1), then decide again; nothing was decided\n'],
      [{ status: 'COMPLETED', result: { ...waiting, status: 'completed', decision: { decision: 'approve', by: 'ada', at: 'T' } } }, 'error: run run-1 is not waiting for a decision: it has ended (completed); it was decided: approve by ada at T\n'],
      [undefined, 'error: no run with id run-1 (ferry runs lists the recent ones)\n'],
    ];
    for (const [run, err] of cases) {
      const res = await ferry(['approve', 'run-1'], { connect: fakeClient(run) });
      assert.deepEqual([res.code, res.err, res.out], [1, err, '']);
    }
  });
});
