/**
 * `ferry schedule` against an in-memory twin of Temporal's schedule API: apply prints created,
 * unchanged, updated; an operator's pause survives an apply; bad config deploys nothing; an unknown
 * schedule is one line naming it; a schedule Ferry did not deploy is refused; backfill counts runs.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ferry } from './support.js';
import { FakeSchedules } from '../../support/fake-schedules.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-schedule-cli-'));
});
after(async () => rm(dir, { recursive: true, force: true }));

const yaml = (name: string, schedule: string) => `name: ${name}
sources:
  items: { type: file, path: "data/{run_date}.csv" }
sinks:
  out: { type: file, input: items, path: "out/{run_date}.csv" }
${schedule ? `schedule:\n${schedule.split('\n').map((l) => `  ${l}`).join('\n')}\n` : ''}`;

describe('ferry schedule apply', () => {
  it('created, then unchanged, then updated after an edit; an operator\'s pause survives it', async () => {
    const fake = new FakeSchedules();
    const file = join(dir, 'daily.yaml');
    await writeFile(file, yaml('daily', 'cron: "0 2 * * *"\ntimezone: Europe/Berlin'));
    const connect = async () => fake.asClient;
    assert.deepEqual(await ferry(['schedule', 'apply', file, '-q', 'nightly'], { connect }), { code: 0, out: `created    daily  cron 0 2 * * * Europe/Berlin  (${file})\n`, err: '', connected: 0 });
    assert.equal((await ferry(['schedule', 'apply', file, '-q', 'nightly'], { connect })).out, `unchanged  daily  cron 0 2 * * * Europe/Berlin  (${file})\n`);
    // Another task queue is another deployment.
    assert.equal((await ferry(['schedule', 'apply', file, '-q', 'other'], { connect })).out, `updated    daily  cron 0 2 * * * Europe/Berlin  (${file})\n`);
    assert.equal((await ferry(['schedule', 'pause', 'daily', '--note', 'upstream down'], { connect })).out, 'paused daily (upstream down)\n');
    await writeFile(file, yaml('daily', 'cron: "0 3 * * *"\ntimezone: Europe/Berlin'));
    assert.equal((await ferry(['schedule', 'apply', file, '-q', 'other'], { connect })).out, `updated    daily  cron 0 3 * * * Europe/Berlin  (${file})\n`);
    assert.deepEqual([fake.schedules.get('daily')!.paused, fake.schedules.get('daily')!.note], [true, 'upstream down']);
    // The file's paused: changed: it wins.
    await writeFile(file, yaml('daily', 'cron: "0 3 * * *"\ntimezone: Europe/Berlin\npaused: true'));
    await ferry(['schedule', 'apply', file, '-q', 'other'], { connect });
    await writeFile(file, yaml('daily', 'cron: "0 3 * * *"\ntimezone: Europe/Berlin\npaused: false'));
    await ferry(['schedule', 'apply', file, '-q', 'other'], { connect });
    assert.deepEqual([fake.schedules.get('daily')!.paused, fake.schedules.get('daily')!.note], [false, `unpaused by schedule.paused in ${file}`]);
    assert.deepEqual(fake.calls.filter((c) => !c.startsWith('pause')), ['create daily', 'update daily', 'update daily', 'update daily', 'update daily']);
  });

  it('schedule.params resolve ${param:…} in the plan it deploys', async () => {
    const fake = new FakeSchedules();
    const file = join(dir, 'params.yaml');
    await writeFile(file, `name: withparams\nparams:\n  region: us\nsources:\n  items: { type: file, path: "data/\${param:region}.csv" }\nschedule:\n  cron: "@daily"\n  params: { region: eu }\n`);
    await ferry(['schedule', 'apply', file], { connect: async () => fake.asClient });
    const plan = fake.schedules.get('withparams')!.options.action.args![0] as { params: Record<string, string>; spec: { sources: { items: { path: string } } } };
    assert.deepEqual(plan.params, { region: 'eu' });
    assert.equal(plan.spec.sources.items.path, 'data/eu.csv');
  });

  it('a directory: every pipeline with a schedule; the others skipped; a bad file deploys nothing and exits 1', async () => {
    const fake = new FakeSchedules();
    const sub = join(dir, 'pipelines');
    await rm(sub, { recursive: true, force: true });
    const { mkdir } = await import('node:fs/promises');
    await mkdir(sub);
    await writeFile(join(sub, 'a.yaml'), yaml('a', 'every: 1h'));
    await writeFile(join(sub, 'b.yml'), yaml('b', ''));
    await writeFile(join(sub, 'connections.yaml'), 'x: { type: http, base_url: "http://example.test" }\n');
    await writeFile(join(sub, 'notes.txt'), 'not a pipeline');
    const res = await ferry(['schedule', 'apply', sub], { connect: async () => fake.asClient });
    assert.deepEqual(res, { code: 0, out: `created    a  every 1h  (${join(sub, 'a.yaml')})\nskipped    b  no schedule: section (${join(sub, 'b.yml')})\n`, err: '', connected: 0 });

    await writeFile(join(sub, 'c.yaml'), yaml('c', 'cron: "61 * * * * * * *"'));
    const bad = await ferry(['schedule', 'apply', sub], { connect: async () => fake.asClient });
    assert.deepEqual(bad, { code: 1, out: '', connected: 0, err: `✖ 1 problem in the pipeline configs; nothing deployed:\n  ${join(sub, 'c.yaml')}:7:9  schedule.cron: expected 5 fields (minute hour day-of-month month day-of-week), got 8 (got "61 * * * * * * *")\n` });
    assert.deepEqual(fake.calls, ['create a']);

    // a loses its schedule: section; without --prune its schedule stays, and apply says so.
    await rm(join(sub, 'c.yaml'));
    await writeFile(join(sub, 'a.yaml'), yaml('a', ''));
    const left = await ferry(['schedule', 'apply', sub], { connect: async () => fake.asClient });
    assert.equal(left.out, `skipped    a  no schedule: section (${join(sub, 'a.yaml')}); its deployed schedule stays: ferry schedule delete a\nskipped    b  no schedule: section (${join(sub, 'b.yml')})\n`);
  });

  it('--prune deletes only the schedules deployed from that directory', async () => {
    const fake = new FakeSchedules();
    const connect = async () => fake.asClient;
    const { mkdir } = await import('node:fs/promises');
    const [one, two] = [join(dir, 'repo-one'), join(dir, 'repo-two')];
    await mkdir(one, { recursive: true });
    await mkdir(two, { recursive: true });
    await writeFile(join(one, 'a.yaml'), yaml('pa', 'every: 1h'));
    await writeFile(join(one, 'b.yaml'), yaml('pb', 'every: 1h'));
    await writeFile(join(two, 'c.yaml'), yaml('pc', 'every: 1h'));
    await ferry(['schedule', 'apply', one], { connect });
    await ferry(['schedule', 'apply', two], { connect });
    await rm(join(one, 'b.yaml'));
    const res = await ferry(['schedule', 'apply', one, '--prune'], { connect });
    assert.equal(res.out, `unchanged  pa  every 1h  (${join(one, 'a.yaml')})\ndeleted    pb  no schedule in ${one} any more (was ${join(one, 'b.yaml')})\n`);
    assert.deepEqual([...fake.schedules.keys()].sort(), ['pa', 'pc']);
  });

  it('--prune with a file is a usage error, before anything is deployed', async () => {
    const file = join(dir, 'one.yaml');
    await writeFile(file, yaml('one', 'every: 1h'));
    assert.deepEqual(await ferry(['schedule', 'apply', file, '--prune']), { code: 2, out: '', err: `error: --prune needs a directory (it deletes the schedules of pipelines no longer in it), got the file ${file}\n`, connected: 0 });
  });

  it('a namespace without Ferry\'s search attributes: one line saying how to register them', async () => {
    const fake = new FakeSchedules();
    fake.createError = new Error('Failed to create schedule', { cause: new Error('3 INVALID_ARGUMENT: Namespace default has no mapping defined for search attribute FerryPipeline') });
    const file = join(dir, 'nosa.yaml');
    await writeFile(file, yaml('nosa', 'every: 1h'));
    const res = await ferry(['schedule', 'apply', file], { connect: async () => fake.asClient });
    assert.equal(res.code, 1);
    assert.equal(res.err, "error: search attribute FerryPipeline (one of Ferry's: FerryPipeline, FerryRunDate, FerryTrigger, FerryGate) is not registered in namespace default: run `ferry dev` for the local dev server, or once per namespace: temporal operator search-attribute create --namespace default --name FerryPipeline --type Keyword --name FerryRunDate --type Keyword --name FerryTrigger --type Keyword --name FerryGate --type Keyword\n");
  });

  it('a schedule of that name that Ferry did not deploy is not overwritten', async () => {
    const fake = new FakeSchedules();
    await fake.client.schedule.create({ scheduleId: 'theirs', spec: {}, action: { type: 'startWorkflow', workflowType: 'other', taskQueue: 'q', args: [] } });
    const file = join(dir, 'theirs.yaml');
    await writeFile(file, yaml('theirs', 'every: 1h'));
    const res = await ferry(['schedule', 'apply', file], { connect: async () => fake.asClient });
    assert.deepEqual(res, { code: 1, out: '', err: `error: ${file}: a schedule named theirs exists and was not deployed by Ferry; delete or rename it first\n`, connected: 0 });
    assert.deepEqual(await ferry(['schedule', 'pause', 'theirs'], { connect: async () => fake.asClient }), {
      code: 1, out: '', connected: 0, err: 'error: schedule theirs was not deployed by Ferry (`ferry schedule apply`); manage it with the temporal CLI\n',
    });
  });
});

describe('ferry schedule: unknown schedules and usage errors', () => {
  for (const argv of [['describe', 'nope'], ['pause', 'nope'], ['unpause', 'nope'], ['trigger', 'nope'], ['delete', 'nope'], ['backfill', 'nope', '--from', '2024-01-01', '--to', '2024-01-02']]) {
    it(`ferry schedule ${argv.join(' ')}: one line naming it, exit 1`, async () => {
      const fake = new FakeSchedules();
      assert.deepEqual(await ferry(['schedule', ...argv], { connect: async () => fake.asClient }), { code: 1, out: '', err: 'error: no schedule nope: `ferry schedule list` shows the schedules\n', connected: 0 });
    });
  }

  it('backfill without --from or --to, or with a bad --overlap: usage errors, nothing contacted', async () => {
    assert.deepEqual(await ferry(['schedule', 'backfill', 'x', '--from', '2024-01-01']), { code: 2, out: '', err: 'error: backfill needs --from and --to (a day such as 2024-01-05, or an ISO time)\n', connected: 0 });
    assert.deepEqual(await ferry(['schedule', 'backfill', 'x', '--from', 'a', '--to', 'b', '--overlap', 'skip']), {
      code: 2, out: '', err: "error: option '--overlap <policy>' argument 'skip' is invalid. Allowed choices are buffer_all, allow_all.\n", connected: 0,
    });
  });
});

describe('ferry schedule backfill and list', () => {
  it('says how many runs the range makes and their ids; asks Temporal for the inclusive range', async () => {
    const fake = new FakeSchedules();
    const file = join(dir, 'bf.yaml');
    await writeFile(file, yaml('bf', 'cron: "0 0 * * *"\ntimezone: Europe/Berlin'));
    const connect = async () => fake.asClient;
    await ferry(['schedule', 'apply', file], { connect });
    fake.times = ['2023-12-31T23:00:00Z', '2024-01-01T23:00:00Z', '2024-01-02T23:00:00Z', '2024-01-03T23:00:00Z'].map((t) => new Date(t));
    const res = await ferry(['schedule', 'backfill', 'bf', '--from', '2024-01-01', '--to', '2024-01-03'], { connect });
    assert.equal(res.out, 'backfill of bf from 2024-01-01 to 2024-01-03 (Europe/Berlin): 3 runs, one after another\n'
      + '  bf-2023-12-31T23:00:00Z\n  bf-2024-01-01T23:00:00Z\n  bf-2024-01-02T23:00:00Z\n'
      + '  a day that already ran runs again under its id: each sink replaces that day\'s output as its mode defines (docs/run-dates.md)\n');
    assert.equal(fake.calls.at(-1), 'backfill bf 2023-12-31T22:59:59.999Z 2024-01-03T22:59:59.000Z BUFFER_ALL');
    const none = await ferry(['schedule', 'backfill', 'bf', '--from', '2020-01-01', '--to', '2020-01-02', '--overlap', 'allow_all'], { connect });
    assert.equal(none.out, 'backfill of bf from 2020-01-01 to 2020-01-02 (Europe/Berlin): the schedule has no times in that range, no runs\n');
    assert.equal(fake.calls.filter((c) => c.startsWith('backfill')).length, 1, 'nothing to backfill, nothing asked');
  });

  it('a run of the range still going: buffer_all runs it again after, allow_all does not start it', async () => {
    const fake = new FakeSchedules();
    const file = join(dir, 'busy.yaml');
    await writeFile(file, yaml('busy', 'cron: "0 0 * * *"'));
    const connect = async () => fake.asClient;
    await ferry(['schedule', 'apply', file], { connect });
    fake.times = ['2024-01-01T00:00:00Z', '2024-01-02T00:00:00Z'].map((t) => new Date(t));
    fake.running = ['busy-2024-01-02T00:00:00Z'];
    const buffered = await ferry(['schedule', 'backfill', 'busy', '--from', '2024-01-01', '--to', '2024-01-02'], { connect });
    assert.equal(buffered.out.split('\n').slice(1, 3).join('\n'), '  busy-2024-01-01T00:00:00Z\n  busy-2024-01-02T00:00:00Z  running now: runs again once it has finished');
    const all = await ferry(['schedule', 'backfill', 'busy', '--from', '2024-01-01', '--to', '2024-01-02', '--overlap', 'allow_all'], { connect });
    assert.equal(all.out.split('\n')[2], '  busy-2024-01-02T00:00:00Z  running now: not started again (its run is still going); backfill it once it has finished');
  });

  it('list: Ferry\'s schedules only, with their spec and state; `ferry schedule` alone is list', async () => {
    const fake = new FakeSchedules();
    const connect = async () => fake.asClient;
    await fake.client.schedule.create({ scheduleId: 'theirs', spec: {}, action: { type: 'startWorkflow', workflowType: 'other', taskQueue: 'q', args: [] } });
    assert.equal((await ferry(['schedule'], { connect })).out, 'no Ferry schedules: deploy one with `ferry schedule apply <pipeline.yaml>`\n');
    await writeFile(join(dir, 'l1.yaml'), yaml('l1', 'cron: "0 2 * * *"\ntimezone: Europe/Berlin'));
    await writeFile(join(dir, 'l2.yaml'), yaml('l2', 'every: 15m\npaused: true'));
    await ferry(['schedule', 'apply', join(dir, 'l1.yaml')], { connect });
    await ferry(['schedule', 'apply', join(dir, 'l2.yaml')], { connect });
    const expected = [
      'pipeline  schedule                      paused  next run              last run',
      'l1        cron 0 2 * * * Europe/Berlin  no      —                     —',
      'l2        every 15m                     yes     —                     —',
      '',
    ].join('\n');
    assert.deepEqual(await ferry(['schedule', 'list'], { connect }), { code: 0, out: expected, err: '', connected: 0 });
    assert.equal((await ferry(['schedule'], { connect })).out, expected);
  });
});
