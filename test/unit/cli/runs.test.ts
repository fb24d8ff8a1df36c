/**
 * `ferry runs` against a fake Temporal client: the visibility query of every filter (the one the
 * Temporal UI takes), the table newest first with rows delivered from the reports of the runs
 * shown (a completed run's result, a failed run's memo; `—` when unknown), `--json`, and bad
 * filter values as one line with exit code 2 before anything is contacted.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { RunReport } from '../../../src/run.js';
import { parseSince, parseStatus, runQuery, runsUrl } from '../../../src/run-filter.js';
import { ferry } from './support.js';
import { fakeClient } from './fake-client.js';
import { RUN } from '../../support/run-context.js';

const sa = (attrs: Record<string, string>) => ({ get: (key: { name: string }) => attrs[key.name] });
const report = (rows: number[]): RunReport => ({
  pipeline: 'retail', workflowId: 'x', run: RUN, status: 'completed', stage: 'done', startedAt: '', stages: [],
  sinks: rows.map((n, i) => ({ sink: `s${i}`, type: 'file', status: 'delivered', target: 't', rows: n })),
});
const info = (id: string, status: string, start: string, close: string | undefined, attrs: Record<string, string>, memo: Record<string, unknown> = {}) => ({
  workflowId: id, runId: `${id}-r`, status: { name: status }, startTime: new Date(start), closeTime: close ? new Date(close) : undefined, typedSearchAttributes: sa(attrs), memo,
});
const RETAIL = { FerryPipeline: 'retail', FerryRunDate: '2024-01-05', FerryTrigger: 'schedule' };

describe('the runs filter', () => {
  it('is one visibility query, quoted, the same the Temporal UI takes', () => {
    assert.equal(runQuery({}), `WorkflowType = 'pipeline'`);
    assert.equal(runQuery({ pipeline: "o'brien", status: 'cancelled', trigger: 'schedule', since: new Date('2024-01-05T00:00:00Z') }),
      `WorkflowType = 'pipeline' AND FerryPipeline = 'o\\'brien' AND ExecutionStatus = 'Canceled' AND FerryTrigger = 'schedule' AND StartTime >= '2024-01-05T00:00:00.000Z'`);
    assert.equal(runsUrl('http://ui:8233', 'default', { pipeline: 'retail' }),
      'http://ui:8233/namespaces/default/workflows?query=WorkflowType%20%3D%20\'pipeline\'%20AND%20FerryPipeline%20%3D%20\'retail\'');
  });

  it('--since takes a duration back from now or a date; --status the printed names', () => {
    const now = Date.parse('2024-01-10T12:00:00Z');
    const cases: [string, string | undefined][] = [
      ['2h', '2024-01-10T10:00:00.000Z'], ['30m', '2024-01-10T11:30:00.000Z'], ['7d', '2024-01-03T12:00:00.000Z'], ['1w', '2024-01-03T12:00:00.000Z'], ['90s', '2024-01-10T11:58:30.000Z'],
      ['2024-01-05', '2024-01-05T00:00:00.000Z'], ['2024-01-05T06:00:00+01:00', '2024-01-05T05:00:00.000Z'],
      ['yesterday', undefined], ['7', undefined], ['2h ago', undefined], ['2024-02-30', undefined], ['-2h', undefined],
    ];
    for (const [text, want] of cases) assert.equal(parseSince(text, now)?.toISOString(), want, text);
    assert.deepEqual(['running', 'Failed', 'canceled', 'cancelled', 'timed-out', 'done'].map(parseStatus), ['running', 'failed', 'cancelled', 'cancelled', 'timed out', undefined]);
  });
});

describe('ferry runs', () => {
  const runs = [
    info('retail-a', 'COMPLETED', '2026-01-01T00:00:00Z', '2026-01-01T00:00:02.500Z', RETAIL),
    info('retail-c', 'RUNNING', new Date(Date.now() - 5000).toISOString(), undefined, { ...RETAIL, FerryTrigger: 'cli' }),
    info('retail-b', 'FAILED', '2026-01-01T01:00:00Z', '2026-01-01T01:00:01Z', { ...RETAIL, FerryTrigger: 'retry' }, { report: report([4]) }),
    info('old-run', 'TERMINATED', '2025-12-31T00:00:00Z', '2025-12-31T00:01:00Z', {}),
  ];

  it('prints the table newest first, rows delivered from the reports of the runs shown', async () => {
    const calls: string[] = [];
    const res = await ferry(['runs', '--limit', '3'], { connect: fakeClient(undefined, calls, runs, { 'retail-a-r': report([9, 9]) }) });
    assert.equal(res.code, 0, res.err);
    const lines = res.out.split('\n');
    assert.equal(lines[0], 'workflow id  pipeline  run date    trigger   status     started               duration  rows');
    assert.match(lines[1]!, /^retail-c {5}retail {4}2024-01-05 {2}cli {7}running {4}\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ {2}5\.\ds…\s+—$/);
    assert.equal(lines[2], 'retail-b     retail    2024-01-05  retry     failed     2026-01-01T01:00:00Z  1.0s         4');
    assert.equal(lines[3], 'retail-a     retail    2024-01-05  schedule  completed  2026-01-01T00:00:00Z  2.5s        18');
    assert.equal(lines.length, 5);
    assert.deepEqual(calls, [`list WorkflowType = 'pipeline'`]);
  });

  it('filters go into the query, and the same filter is printed as a Temporal UI link', async () => {
    const calls: string[] = [];
    const res = await ferry(['runs', '--pipeline', 'retail', '--status', 'failed', '--trigger', 'retry'], { connect: fakeClient(undefined, calls, runs.slice(2, 3)) });
    assert.equal(res.code, 0, res.err);
    assert.deepEqual(calls, [`list WorkflowType = 'pipeline' AND FerryPipeline = 'retail' AND ExecutionStatus = 'Failed' AND FerryTrigger = 'retry'`]);
    assert.ok(res.out.endsWith(`\nsame filter in the Temporal UI: http://127.0.0.1:8233/namespaces/default/workflows?query=${encodeURIComponent(calls[0]!.slice(5))}\n`), res.out);
  });

  it('an unknown run has — for what is not known; --json has nulls', async () => {
    const res = await ferry(['runs', '--json'], { connect: fakeClient(undefined, [], runs.slice(3)) });
    assert.deepEqual(JSON.parse(res.out), [{
      workflowId: 'old-run', runId: 'old-run-r', pipeline: null, runDate: null, trigger: null, status: 'terminated',
      startTime: '2025-12-31T00:00:00.000Z', closeTime: '2025-12-31T00:01:00.000Z', durationMs: 60000, rowsDelivered: null,
    }]);
    const text = await ferry(['runs'], { connect: fakeClient(undefined, [], runs.slice(3)) });
    assert.equal(text.out.split('\n')[1], 'old-run      —         —         —        terminated  2025-12-31T00:00:00Z  1m0s         —');
  });

  it('no runs: says so', async () => {
    assert.equal((await ferry(['runs'], { connect: fakeClient(undefined, [], []) })).out, 'no runs yet\n');
    assert.equal((await ferry(['runs', '--pipeline', 'x'], { connect: fakeClient(undefined, [], []) })).out, 'no runs match\n');
  });

  const BAD: [string[], string][] = [
    [['--since', 'yesterday'], "error: option '--since <when>' argument 'yesterday' is invalid. expected a duration such as 30m, 2h or 7d, or a date such as 2024-01-05 or 2024-01-05T06:00:00Z\n"],
    [['--status', 'done'], "error: option '--status <status>' argument 'done' is invalid. expected one of: running, waiting, completed, failed, cancelled, terminated, timed-out\n"],
    [['--trigger', 'cron'], "error: option '--trigger <trigger>' argument 'cron' is invalid. expected one of: cli, schedule, client, retry\n"],
  ];
  for (const [argv, err] of BAD) {
    it(`ferry runs ${argv.join(' ')}: one line, exit 2, nothing contacted`, async () => {
      assert.deepEqual(await ferry(['runs', ...argv]), { code: 2, out: '', err, connected: 0 });
    });
  }
});
