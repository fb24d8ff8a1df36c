/**
 * `ferry schedule` on the real Temporal dev server, with a worker: apply is idempotent (created,
 * unchanged, updated; describe says when the file differs; --prune deletes orphans); a 2-second
 * schedule with jitter starts runs whose id, report.run and search attributes carry the nominal
 * time; pause, unpause and trigger; pause_on_failure pauses on a failed run; a backfill of three
 * days of a daily cron runs three times, each reading and writing its own day's files, and a
 * backfill of a day that already ran runs it again under the same id: the day's file is replaced,
 * an upsert table converges, an append table is not loaded twice; the daily-sales example.
 *
 * Every schedule here has a random name and is deleted at the end; pipelines live in
 * .ferry/test-tmp/ (paths relative to the worker's working directory).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startHarness, randomId } from '../support/harness.js';
import { testCli } from '../unit/cli/support.js';
import { main } from '../../src/cli/main.js';
import { datedRunId, localDate } from '../../src/run-date.js';
import { SCHEDULED_START_TIME } from '../../src/search-attributes.js';
import type { RunReport } from '../../src/run.js';

let h: Awaited<ReturnType<typeof startHarness>>;
const run = randomId();
const dir = join('.ferry', 'test-tmp', `schedule-${run}`);
const created = new Set<string>();
const schema = `sched_${run}`;

before(async () => {
  h = await startHarness();
  await mkdir(join(dir, 'data'), { recursive: true });
});

after(async () => {
  for (const id of created) {
    await h.client.schedule.getHandle(id).delete().catch(() => undefined);
    for await (const wf of h.client.workflow.list({ query: `WorkflowId STARTS_WITH '${id}-' AND ExecutionStatus = 'Running'` })) {
      await h.client.workflow.getHandle(wf.workflowId, wf.runId).terminate('test cleanup').catch(() => undefined);
    }
  }
  await h?.sql(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
  await h?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** `ferry schedule …` in-process, against the harness's client. */
async function ferry(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const cli = testCli({ connect: async () => h.client });
  const code = await main(['schedule', ...argv], cli);
  return { code, out: cli.stdout(), err: cli.stderr() };
}

const name = (what: string) => {
  const id = `st-${run}-${what}`;
  created.add(id);
  return id;
};

/** A pipeline reading one file and writing it to another, with a schedule: section. */
function pipelineYaml(id: string, schedule: string, paths: { input: string; output: string }, description = 'scheduled test'): string {
  return `name: ${id}
description: ${description}
sources:
  items: { type: file, path: ${JSON.stringify(paths.input)} }
sinks:
  out: { type: file, input: items, path: ${JSON.stringify(paths.output)} }
schedule:
${schedule.trim().split('\n').map((l) => `  ${l}`).join('\n')}
`;
}

async function ids(scheduleId: string): Promise<string[]> {
  return (await h.client.schedule.getHandle(scheduleId).describe()).info.recentActions.map((a) => a.action.workflow.workflowId);
}

test('apply: created, then unchanged; an edit is reported by describe and then updated; --prune deletes the orphan', async () => {
  const a = name('apply-a');
  const b = name('apply-b');
  const appDir = join(dir, 'apply');
  await mkdir(appDir, { recursive: true });
  const io = { input: 'examples/retail/data/sales.csv', output: join(dir, 'unused.csv') };
  await writeFile(join(appDir, 'a.yaml'), pipelineYaml(a, 'cron: "0 2 * * *"\ntimezone: Europe/Berlin\npaused: true', io));
  await writeFile(join(appDir, 'b.yaml'), pipelineYaml(b, 'cron: "30 6 * * 1-5"\npaused: true', io));
  await writeFile(join(appDir, 'plain.yaml'), `name: st-${run}-plain\nsources:\n  items: { type: file, path: ${io.input} }\n`);

  const first = await ferry('apply', appDir, '-q', h.taskQueue);
  assert.equal(first.err, '');
  assert.equal(first.code, 0);
  const plainLine = `skipped    st-${run}-plain    no schedule: section (${join(appDir, 'plain.yaml')})\n`;
  assert.equal(first.out, [
    `created    ${a}  cron 0 2 * * * Europe/Berlin  (${join(appDir, 'a.yaml')})\n`,
    `created    ${b}  cron 30 6 * * 1-5  (${join(appDir, 'b.yaml')})\n`,
    plainLine,
  ].join(''));

  const again = await ferry('apply', appDir, '-q', h.taskQueue);
  assert.equal(again.out, first.out.replace(/^created {2}/gm, 'unchanged'));

  // What Temporal holds: the spec, policies, the action with the plan (no run field), memo, attributes.
  const desc = await h.client.schedule.getHandle(a).describe();
  assert.equal(desc.state.paused, true);
  assert.equal(desc.spec.timezone, 'Europe/Berlin');
  assert.deepEqual(desc.policies, { overlap: 'SKIP', catchupWindow: 86_400_000, pauseOnFailure: false });
  assert.equal(desc.action.workflowType, 'pipeline');
  assert.equal(desc.action.workflowId, a);
  assert.equal(desc.action.taskQueue, h.taskQueue);
  const plan = desc.action.args![0] as { pipeline: string; run?: unknown; file: string };
  assert.equal(plan.pipeline, a);
  assert.equal('run' in plan, false);
  assert.match(String((desc.action.memo as { ferry: { planHash: string } }).ferry.planHash), /^sha256:[0-9a-f]{64}$/);
  assert.equal((desc.action.memo as { ferry: { file: string } }).ferry.file, join(appDir, 'a.yaml'));
  assert.deepEqual(desc.memo, { ferry: { pipeline: a } });
  assert.equal(await desc.action.staticSummary, `${a}: scheduled test`);

  // An edit: describe says what differs before apply, and nothing after.
  await writeFile(join(appDir, 'a.yaml'), pipelineYaml(a, 'cron: "0 3 * * *"\ntimezone: Europe/Berlin\npaused: true', io, 'edited'));
  const before = await ferry('describe', a);
  assert.equal(before.code, 0, before.err);
  assert.match(before.out, new RegExp(`^  plan        differs from ${join(appDir, 'a.yaml').replace(/\./g, '\\.')}: description, schedule \\(ferry schedule apply `, 'm'));
  const edited = await ferry('apply', join(appDir, 'a.yaml'), '-q', h.taskQueue);
  assert.equal(edited.out, `updated    ${a}  cron 0 3 * * * Europe/Berlin  (${join(appDir, 'a.yaml')})\n`);
  const after = await ferry('describe', a);
  assert.match(after.out, new RegExp(`^  plan        up to date with ${join(appDir, 'a.yaml').replace(/\./g, '\\.')}$`, 'm'));
  assert.match(after.out, /^ {2}spec {8}cron 0 3 \* \* \* Europe\/Berlin$/m);
  assert.match(after.out, new RegExp(`^${a}  paused  \\(deployed paused \\(schedule\\.paused in `, 'm'));

  // b loses its schedule: apply --prune deletes it (list is eventually consistent: wait until it sees both).
  await h.waitFor('list to show both schedules', async () => {
    const listed = await ferry('list');
    return listed.out.includes(`\n${a} `) && listed.out.includes(`\n${b} `);
  }, 20_000);
  await writeFile(join(appDir, 'b.yaml'), `name: ${b}\nsources:\n  items: { type: file, path: ${io.input} }\n`);
  const pruned = await ferry('apply', appDir, '--prune', '-q', h.taskQueue);
  assert.equal(pruned.code, 0, pruned.err);
  assert.equal(pruned.out, [
    `unchanged  ${a}  cron 0 3 * * * Europe/Berlin  (${join(appDir, 'a.yaml')})\n`,
    `skipped    ${b}  no schedule: section (${join(appDir, 'b.yaml')})\n`,
    plainLine,
    `deleted    ${b}  no schedule in ${appDir} any more (was ${join(appDir, 'b.yaml')})\n`,
  ].join(''));
  const gone = await ferry('describe', b);
  assert.deepEqual(gone, { code: 1, out: '', err: `error: no schedule ${b}: \`ferry schedule list\` shows the schedules\n` });

  // A file with problems: every problem, nothing deployed, exit 1.
  await writeFile(join(appDir, 'a.yaml'), pipelineYaml(a, 'cron: "0 3 * *"\ntimezone: Mars/Olympus\novrlap: skip', io));
  const bad = await ferry('apply', appDir, '-q', h.taskQueue);
  assert.equal(bad.code, 1);
  assert.equal(bad.out, '');
  assert.equal(bad.err, [
    '✖ 3 problems in the pipeline configs; nothing deployed:',
    `  ${join(appDir, 'a.yaml')}:8:9  schedule.cron: expected 5 fields (minute hour day-of-month month day-of-week), got 4 (got "0 3 * *")`,
    `  ${join(appDir, 'a.yaml')}:9:13  schedule.timezone: expected an IANA time zone such as UTC or Europe/Berlin`,
    `  ${join(appDir, 'a.yaml')}:10:11  schedule.ovrlap: unknown key 'ovrlap'`,
    '',
  ].join('\n'));
});

test('a 2s schedule with jitter: runs within seconds, id and report.run carry the nominal time; pause, unpause, trigger', async () => {
  const id = name('every');
  const file = join(dir, 'every.yaml');
  await writeFile(file, pipelineYaml(id, 'every: 2s\njitter: 1s\ntimezone: Pacific/Kiritimati', { input: 'examples/retail/data/sales.csv', output: join(dir, 'every.csv') }));
  const applied = await ferry('apply', file, '--task-queue', h.taskQueue);
  assert.equal(applied.out, `created    ${id}  every 2s Pacific/Kiritimati  (${file})\n`);
  const t0 = Date.now();
  await h.waitFor('a scheduled run', async () => (await ids(id)).length > 0, 15_000);
  const firstId = (await ids(id))[0]!;
  const handle = h.client.workflow.getHandle(firstId);
  const report = (await handle.result()) as RunReport;
  const desc = await handle.describe();
  const nominal = desc.typedSearchAttributes.get(SCHEDULED_START_TIME)!.toISOString();
  assert.equal(firstId, datedRunId(id, nominal), 'the schedule\'s id for the run is datedRunId of its nominal time');
  assert.ok(desc.startTime.getTime() >= Date.parse(nominal), 'jitter only delays the start');
  assert.deepEqual(report.run, { key: firstId, time: nominal, date: localDate(nominal, 'Pacific/Kiritimati'), timezone: 'Pacific/Kiritimati', trigger: 'schedule' });
  assert.equal(report.status, 'completed');
  assert.deepEqual(desc.searchAttributes.FerryRunDate, [localDate(nominal, 'Pacific/Kiritimati')]);
  assert.deepEqual(desc.searchAttributes.FerryTrigger, ['schedule']);
  assert.deepEqual(desc.searchAttributes.FerryPipeline, [id]);
  assert.deepEqual(desc.searchAttributes.TemporalScheduledById, [id]);
  assert.equal((await desc.memo as { ferry?: { file: string } }).ferry?.file, file);
  console.log(`# first scheduled run completed ${((Date.now() - t0) / 1000).toFixed(1)} s after apply`);

  // Paused: no new runs; describe and list say so.
  const paused = await ferry('pause', id, '--note', 'upstream down');
  assert.equal(paused.out, `paused ${id} (upstream down)\n`);
  await sleep(1500); // a start already under way when it paused may still show up
  const atPause = (await ids(id)).length;
  await sleep(4500);
  assert.equal((await ids(id)).length, atPause, 'a paused schedule started a run');
  const described = await ferry('describe', id);
  assert.match(described.out, new RegExp(`^${id}  paused  \\(upstream down\\)$`, 'm'));
  assert.match(described.out, /^ {2}next runs {3}none while paused$/m);
  assert.match(described.out, new RegExp(`^    ${firstId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}  +completed  +started `, 'm'));

  // Trigger runs now, even while paused, and names the run.
  const triggered = await ferry('trigger', id);
  const m = new RegExp(`^triggered ${id}: started (${id}-\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}Z)\\n$`).exec(triggered.out);
  assert.ok(m, triggered.out + triggered.err);
  const manual = (await h.client.workflow.getHandle(m[1]!).result()) as RunReport;
  assert.equal(manual.run.trigger, 'schedule');
  assert.equal(manual.run.key, m[1]);

  const unpaused = await ferry('unpause', id);
  assert.equal(unpaused.out, `unpaused ${id}\n`);
  const afterUnpause = (await ids(id)).length;
  await h.waitFor('a run after unpause', async () => (await ids(id)).length > afterUnpause, 15_000);

  const deleted = await ferry('delete', id);
  assert.equal(deleted.out, `deleted schedule ${id} (runs it started are not affected)\n`);
  for (const cmd of ['describe', 'pause', 'unpause', 'trigger', 'delete']) {
    assert.deepEqual(await ferry(cmd, id), { code: 1, out: '', err: `error: no schedule ${id}: \`ferry schedule list\` shows the schedules\n` }, cmd);
  }
});

test('pause_on_failure: a run that fails pauses the schedule, and describe says why', async () => {
  const id = name('fails');
  const file = join(dir, 'fails.yaml');
  await writeFile(file, pipelineYaml(id, 'every: 2s\npause_on_failure: true', { input: join(dir, 'data', 'missing-{run_date}.csv'), output: join(dir, 'never.csv') }));
  assert.equal((await ferry('apply', file, '-q', h.taskQueue)).code, 0);
  const handle = h.client.schedule.getHandle(id);
  await h.waitFor('the schedule to pause itself', async () => (await handle.describe()).state.paused, 30_000);
  const [first] = await ids(id);
  const failed = await h.client.workflow.getHandle(first!).describe();
  assert.equal(failed.status.name, 'FAILED');
  const described = await ferry('describe', id);
  assert.match(described.out, new RegExp(`^${id}  paused  \\(.+\\)$`, 'm'));
  assert.match(described.out, new RegExp(`^    ${first!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}  failed `, 'm'));
  console.log(`# note: ${(await handle.describe()).state.note}`);
});

test('backfill of three days of a daily cron: three runs, each reads and writes its own day; a day run again replaces its output', async () => {
  const id = name('daily');
  const file = join(dir, 'daily.yaml');
  const days = { '2024-01-01': ['1,alpha'], '2024-01-02': ['2,beta', '3,gamma'], '2024-01-03': ['4,delta'] } as const;
  for (const [day, rows] of Object.entries(days)) await writeFile(join(dir, 'data', `day-${day}.csv`), `n,word\n${rows.join('\n')}\n`);
  // Besides the day's file, three warehouse tables: upserted on n, appended to, appended to with the run stamped.
  const tables = `
  upserted: { type: postgres, connection: warehouse, input: items, table: ${schema}.words, mode: upsert, keys: [n] }
  appended: { type: postgres, connection: warehouse, input: items, table: ${schema}.words_log, mode: append }
  stamped: { type: postgres, connection: warehouse, input: items, table: ${schema}.words_stamped, mode: append, run_column: ferry_run }`;
  await writeFile(file, pipelineYaml(id, 'cron: "0 0 * * *"\npaused: true', { input: join(dir, 'data', 'day-{run_date}.csv'), output: join(dir, 'out', '{run_date}.csv') })
    .replace(/^( {2}out: .*)$/m, `$1${tables}`));
  const applied = await ferry('apply', file, '-q', h.taskQueue);
  assert.equal(applied.code, 0, applied.err);

  const res = await ferry('backfill', id, '--from', '2024-01-01', '--to', '2024-01-03');
  assert.equal(res.err, '');
  const expected = Object.keys(days).map((day) => `${id}-${day}T00:00:00Z`);
  assert.equal(res.out, `backfill of ${id} from 2024-01-01 to 2024-01-03: 3 runs, one after another\n${expected.map((w) => `  ${w}\n`).join('')}`
    + `  a day that already ran runs again under its id: each sink replaces that day's output as its mode defines (docs/run-dates.md)\n`);
  for (const [i, day] of Object.keys(days).entries()) {
    const handle = await waitForRun(expected[i]!);
    const report = (await handle.result()) as RunReport;
    assert.equal(report.status, 'completed', report.error);
    assert.deepEqual(report.run, { key: expected[i], time: `${day}T00:00:00.000Z`, date: day, timezone: 'UTC', trigger: 'schedule' });
    assert.deepEqual((await handle.describe()).searchAttributes.FerryRunDate, [day]);
  }
  assert.deepEqual((await ids(id)).sort(), expected, 'exactly three runs');
  for (const [day, rows] of Object.entries(days)) {
    assert.equal(await readFile(join(dir, 'out', `${day}.csv`), 'utf8'), `n,word\n${rows.join('\n')}\n`, day);
  }
  const table = async (name: string) => (await h.sql<{ n: number; word: string }>(`SELECT n, word FROM ${schema}.${name} ORDER BY n`)).map((r) => `${r.n},${r.word}`);
  const all = ['1,alpha', '2,beta', '3,gamma', '4,delta'];
  for (const t of ['words', 'words_log', 'words_stamped']) assert.deepEqual(await table(t), all, t);

  // Day 2 again, with corrected input: the same workflow id runs again (Temporal starts a new run of
  // a closed id), and the file sink replaces that day's output: no rows twice, the other days untouched.
  await writeFile(join(dir, 'data', 'day-2024-01-02.csv'), 'n,word\n2,beta\n3,gamma\n5,epsilon\n');
  const firstRun = (await h.client.workflow.getHandle(expected[1]!).describe()).runId;
  const again = await ferry('backfill', id, '--from', '2024-01-02', '--to', '2024-01-02');
  assert.equal(again.out.split('\n').slice(0, 2).join('\n'), `backfill of ${id} from 2024-01-02 to 2024-01-02: 1 run, one after another\n  ${expected[1]}`);
  await h.waitFor('the second run of day 2', async () => (await h.client.workflow.getHandle(expected[1]!).describe()).runId !== firstRun, 20_000);
  const rerun = h.client.workflow.getHandle(expected[1]!);
  const report = (await rerun.result()) as RunReport;
  assert.equal(report.status, 'completed');
  assert.equal(report.run.date, '2024-01-02');
  assert.equal(await readFile(join(dir, 'out', '2024-01-02.csv'), 'utf8'), 'n,word\n2,beta\n3,gamma\n5,epsilon\n');
  assert.equal(await readFile(join(dir, 'out', '2024-01-01.csv'), 'utf8'), 'n,word\n1,alpha\n');
  // Upsert converges and the stamped append replaces the day's rows (the new row is in, none twice);
  // a plain append loads the day only once, and says so.
  const corrected = ['1,alpha', '2,beta', '3,gamma', '4,delta', '5,epsilon'];
  assert.deepEqual(await table('words'), corrected);
  assert.deepEqual(await table('words_stamped'), corrected);
  assert.deepEqual(await table('words_log'), all);
  const details = Object.fromEntries(report.sinks.map((x) => [x.sink, `${x.rows} ${x.detail}`]));
  assert.equal(details.out, '3 csv');
  assert.match(details.upserted!, /^3 upsert again \(an earlier run of this logical run loaded it at .+\)$/);
  assert.match(details.stamped!, /^3 append, replacing the 2 rows an earlier run of this logical run loaded at .+$/);
  assert.match(details.appended!, new RegExp(`^0 skipped: an earlier run of ${expected[1]} loaded it at .+, and an append sink loads each run once; set run_column`));
  const executions: string[] = [];
  for await (const wf of h.client.workflow.list({ query: `WorkflowId = '${expected[1]}'` })) executions.push(wf.status.name);
  assert.deepEqual(executions.sort(), ['COMPLETED', 'COMPLETED'], 'two runs of the one logical run');

  // Bad ranges are usage errors.
  assert.deepEqual(await ferry('backfill', id, '--from', '2024-01-03', '--to', '2024-01-01'), { code: 2, out: '', err: 'error: --to 2024-01-01 is before --from 2024-01-03\n' });
  assert.deepEqual(await ferry('backfill', id, '--from', 'yesterday', '--to', '2024-01-01'), { code: 2, out: '', err: 'error: --from yesterday: expected a day (2024-01-05) or an ISO time with a zone (2024-01-05T06:00:00Z)\n' });
});

/** A backfilled run's handle, once Temporal has started it (buffer_all starts them one after another). */
async function waitForRun(workflowId: string) {
  const handle = h.client.workflow.getHandle(workflowId);
  await h.waitFor(`run ${workflowId}`, () => handle.describe().then(() => true, () => false), 60_000);
  return handle;
}

test('the example config/pipelines/daily-sales.yaml, backfilled over three days in Berlin: one file per day with that day\'s sales', async () => {
  const id = name('example');
  const out = join(dir, 'example-out');
  // The example as it is, under a test name and with its output in the test's folder.
  const text = (await readFile('config/pipelines/daily-sales.yaml', 'utf8'))
    .replace(/^name: daily-sales$/m, `name: ${id}`)
    .replace('path: .ferry/out/daily-sales/{run_date}.csv', `path: ${out}/{run_date}.csv`);
  assert.notEqual(text.indexOf(`${out}/{run_date}.csv`), -1);
  const file = join(dir, 'daily-sales.yaml');
  await writeFile(file, text);
  assert.equal((await ferry('apply', file, '-q', h.taskQueue)).code, 0);
  await ferry('pause', id); // only the backfill runs
  const res = await ferry('backfill', id, '--from', '2024-01-05', '--to', '2024-01-07');
  // 23:30 in Berlin is 22:30 UTC: the run of 2024-01-05 is for 2024-01-05T22:30:00Z.
  assert.equal(res.out.split('\n').slice(0, 4).join('\n'), `backfill of ${id} from 2024-01-05 to 2024-01-07 (Europe/Berlin): 3 runs, one after another\n`
    + ['2024-01-05T22:30:00Z', '2024-01-06T22:30:00Z', '2024-01-07T22:30:00Z'].map((t) => `  ${id}-${t}`).join('\n'));
  const header = 'sale_id,sale_date,customer_id,product_id,quantity,amount,currency\n';
  const rows: Record<string, string[]> = {
    '2024-01-05': ['S001,2024-01-05,C01,P01,2,39.98,USD', 'S002,2024-01-05,C02,P02,1,15.50,EUR'],
    '2024-01-06': ['S003,2024-01-06,C03,P03,,120.00,GBP'],
    '2024-01-07': ['S004,2024-01-07,C01,P02,3,46.50,EUR', 'S005,2024-01-07,C04,P04,1,99999.00,USD'],
  };
  for (const day of Object.keys(rows)) {
    const report = (await (await waitForRun(`${id}-${day}T22:30:00Z`)).result()) as RunReport;
    assert.deepEqual([report.status, report.run.date, report.run.timezone, report.run.trigger], ['completed', day, 'Europe/Berlin', 'schedule']);
    assert.equal(await readFile(join(out, `${day}.csv`), 'utf8'), `${header}${rows[day]!.join('\n')}\n`, day);
  }
});
