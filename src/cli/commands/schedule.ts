/**
 * `ferry schedule`: pipelines on Temporal Schedules (Ferry has no scheduler of its own).
 *
 *   ferry schedule apply config/pipelines/ --prune     create, update or leave each schedule; delete orphans
 *   ferry schedule list                                ferry schedule describe retail
 *   ferry schedule pause retail --note "upstream down" ferry schedule unpause retail
 *   ferry schedule trigger retail                      ferry schedule backfill retail --from 2024-01-01 --to 2024-01-07
 *   ferry schedule delete retail
 *
 * `ferry schedule` alone is `ferry schedule list`. This module imports only commander; the actions
 * import src/schedule/ when they run.
 */
import { Argument, Command, Option } from 'commander';
import type { Client } from '@temporalio/client';
import { UsageError, type Cli } from '../context.js';
import { taskQueueOption } from '../options.js';

const SUBCOMMANDS = ['apply', 'list', 'describe', 'pause', 'unpause', 'trigger', 'backfill', 'delete'] as const;

const pipelineArg = () => new Argument('<pipeline>', 'the schedule: its pipeline\'s name');

const scheduleUrl = async (id: string): Promise<string> => {
  const { settings } = await import('../../config.js');
  const s = settings();
  return `${s.uiUrl}/namespaces/${encodeURIComponent(s.namespace)}/schedules/${encodeURIComponent(id)}`;
};

async function apply(cli: Cli, target: string, opts: { prune?: boolean; taskQueue?: string }): Promise<void> {
  const [{ schedulePlans }, { applySchedule, pruneSchedules }, { specSummary }, { formatIssue }, { red, dim }, { settings }] = await Promise.all([
    import('../../schedule/files.js'), import('../../schedule/deploy.js'), import('../../schedule/spec.js'),
    import('../../pipeline/load.js'), import('../render.js'), import('../../config.js'),
  ]);
  const found = await schedulePlans(target);
  if (opts.prune && !found.isDirectory) throw new UsageError(`--prune needs a directory (it deletes the schedules of pipelines no longer in it), got the file ${target}`);
  // Bad config never reaches Temporal: nothing is deployed unless every file is valid.
  if (found.issues.length) {
    const n = found.issues.length;
    cli.err(`${red('✖')} ${n} problem${n === 1 ? '' : 's'} in the pipeline config${found.isDirectory ? 's' : ''}; nothing deployed:\n${found.issues.map(formatIssue).join('\n')}\n`);
    cli.exitCode = 1;
    return;
  }
  if (!found.plans.length && !found.skipped.length) cli.out(dim(`no pipeline files in ${target}\n`));
  const taskQueue = opts.taskQueue ?? settings().taskQueue;
  const client = await cli.services.connect();
  const width = Math.max(0, ...[...found.plans, ...found.skipped].map((p) => p.pipeline.length));
  for (const plan of found.plans) {
    const outcome = await applySchedule(client, plan, { taskQueue });
    cli.out(`${outcome.padEnd(9)}  ${plan.pipeline.padEnd(width)}  ${specSummary(plan.spec.schedule!)}  ${dim(`(${plan.file})`)}\n`);
  }
  for (const s of found.skipped) {
    // A pipeline whose schedule: section was removed keeps its deployed schedule until pruned or deleted.
    const still = !opts.prune && await isDeployed(client, s.pipeline);
    cli.out(`${'skipped'.padEnd(9)}  ${s.pipeline.padEnd(width)}  ${dim(`no schedule: section (${s.file})${still ? `; its deployed schedule stays: ferry schedule delete ${s.pipeline}` : ''}`)}\n`);
  }
  if (opts.prune) {
    for (const d of await pruneSchedules(client, target, new Set(found.plans.map((p) => p.pipeline)))) {
      cli.out(`${'deleted'.padEnd(9)}  ${d.id.padEnd(width)}  ${dim(`no schedule in ${target} any more (was ${d.file})`)}\n`);
    }
  }
}

async function isDeployed(client: Client, id: string): Promise<boolean> {
  const { ferrySchedule } = await import('../../schedule/read.js');
  return ferrySchedule(client, id).then(() => true, () => false);
}

async function list(cli: Cli): Promise<void> {
  const [{ ferrySchedules, ferrySchedule, scheduledRuns }, { listText }] = await Promise.all([import('../../schedule/read.js'), import('../schedule-text.js')]);
  const client = await cli.services.connect();
  const rows = await Promise.all((await ferrySchedules(client)).map(async (summary) => {
    const s = await ferrySchedule(client, summary.scheduleId).catch(() => undefined);
    const actions = summary.info.recentActions;
    const [last] = actions.length ? await scheduledRuns(client, actions.slice(-1)) : [];
    return { id: summary.scheduleId, plan: s?.plan, paused: summary.state.paused, next: summary.info.nextActionTimes[0], last };
  }));
  cli.out(listText(rows));
}

async function describe(cli: Cli, id: string, opts: { file?: string }): Promise<void> {
  const [{ ferrySchedule, scheduledRuns }, { schedulePlan }, { planDrift }, { SpecError }, { describeText }] = await Promise.all([
    import('../../schedule/read.js'), import('../../schedule/files.js'), import('../../schedule/plan-diff.js'),
    import('../../pipeline/load.js'), import('../schedule-text.js'),
  ]);
  const client = await cli.services.connect();
  const s = await ferrySchedule(client, id);
  const runs = await scheduledRuns(client, s.description.info.recentActions);
  const file = opts.file ?? s.memo?.file ?? s.plan.file;
  let drift: string;
  try {
    drift = planDrift(id, s.plan, await schedulePlan(file), file);
  } catch (err) {
    if (!(err instanceof SpecError)) throw err;
    drift = `cannot compare with ${file}: ${err.issues.length === 1 ? err.issues[0]!.message : `${err.issues.length} problems`} (ferry validate ${file})`;
  }
  cli.out(describeText({ id, plan: s.plan, description: s.description, runs, drift, url: await scheduleUrl(id) }));
}

async function pause(cli: Cli, id: string, note: string | undefined, paused: boolean): Promise<void> {
  const { ferrySchedule } = await import('../../schedule/read.js');
  const client = await cli.services.connect();
  const s = await ferrySchedule(client, id);
  const text = note ?? `${paused ? 'paused' : 'unpaused'} with ferry schedule ${paused ? 'pause' : 'unpause'}`;
  if (paused) await s.handle.pause(text);
  else await s.handle.unpause(text);
  cli.out(`${paused ? 'paused' : 'unpaused'} ${id}${note ? ` (${note})` : ''}\n`);
}

async function trigger(cli: Cli, id: string): Promise<void> {
  const [{ ferrySchedule }, { setTimeout: sleep }] = await Promise.all([import('../../schedule/read.js'), import('node:timers/promises')]);
  const client = await cli.services.connect();
  const s = await ferrySchedule(client, id);
  const before = new Set(s.description.info.recentActions.map((a) => a.action.workflow.firstExecutionRunId));
  await s.handle.trigger(); // overlap allow_all: a run now, whatever else is running
  // The schedule starts the run a moment later; name it when it shows up.
  for (let i = 0; i < 100; i++) {
    const started = (await s.handle.describe()).info.recentActions.find((a) => !before.has(a.action.workflow.firstExecutionRunId));
    if (started) {
      cli.out(`triggered ${id}: started ${started.action.workflow.workflowId}\n`);
      return;
    }
    await sleep(100);
  }
  cli.out(`triggered ${id}: the run starts in a moment (ferry schedule describe ${id})\n`);
}

async function backfillCmd(cli: Cli, id: string, opts: { from?: string; to?: string; overlap: 'buffer_all' | 'allow_all' }): Promise<void> {
  if (opts.from === undefined || opts.to === undefined) throw new UsageError('backfill needs --from and --to (a day such as 2024-01-05, or an ISO time)');
  const [{ ferrySchedule }, { backfill, backfillRange }, { dim }] = await Promise.all([import('../../schedule/read.js'), import('../../schedule/backfill.js'), import('../render.js')]);
  const client = await cli.services.connect();
  const s = await ferrySchedule(client, id);
  const timezone = s.plan.spec.schedule?.timezone ?? 'UTC';
  const range = backfillRange(opts.from, opts.to, timezone);
  if (typeof range === 'string') throw new UsageError(range);
  const { runs, ids, running = [] } = await backfill(client, id, range, opts.overlap, { jitter: !!s.plan.spec.schedule?.jitter });
  const span = `from ${opts.from} to ${opts.to}${timezone === 'UTC' ? '' : ` (${timezone})`}`;
  if (!runs) {
    cli.out(`backfill of ${id} ${span}: the schedule has no times in that range, no runs\n`);
    return;
  }
  const how = opts.overlap === 'buffer_all' ? 'one after another' : 'all at once';
  cli.out(`backfill of ${id} ${span}: ${runs} run${runs === 1 ? '' : 's'}, ${how}\n`);
  // A run of the range still going: buffer_all starts it again once it has finished; allow_all
  // cannot start a second run of the id, and Temporal drops it.
  const busy = new Set(running);
  const note = opts.overlap === 'buffer_all' ? 'running now: runs again once it has finished' : 'running now: not started again (its run is still going); backfill it once it has finished';
  cli.out(ids ? ids.map((w) => `  ${w}${busy.has(w) ? `  ${note}` : ''}\n`).join('') : dim(`  each with the id ${id}-<scheduled time> (ferry schedule describe ${id} lists them)\n`));
  cli.out(dim(`  a day that already ran runs again under its id: each sink replaces that day's output as its mode defines (docs/run-dates.md)\n`));
}

async function remove(cli: Cli, id: string): Promise<void> {
  const { ferrySchedule, orUnknown } = await import('../../schedule/read.js');
  const client = await cli.services.connect();
  const s = await ferrySchedule(client, id);
  await orUnknown(id, () => s.handle.delete());
  cli.out(`deleted schedule ${id} (runs it started are not affected)\n`);
}

export function scheduleCommand(cli: Cli): Command {
  const schedule = new Command('schedule')
    .description('pipelines on Temporal Schedules: apply, list, describe, pause, unpause, trigger, backfill, delete (`ferry schedule` = list)')
    // As in `ferry dev`: named subcommands are dispatched before this argument is looked at.
    .addArgument(new Argument('[command]').choices(SUBCOMMANDS).argOptional())
    .usage('[options] [command]')
    .action(() => list(cli));
  schedule.addCommand(new Command('apply')
    .description('create or update the schedule of a pipeline file, or of every pipeline in a directory that has a schedule: section (idempotent)')
    .argument('<file-or-dir>', 'a pipeline YAML file, or a directory of them')
    .option('--prune', 'with a directory: delete the schedules deployed from it whose pipeline no longer has a schedule')
    .addOption(taskQueueOption())
    .action((target: string, opts: { prune?: boolean; taskQueue?: string }) => apply(cli, target, opts)));
  schedule.addCommand(new Command('list')
    .description('Ferry\'s schedules: spec, paused, next run, last run and its status')
    .action(() => list(cli)));
  schedule.addCommand(new Command('describe')
    .description('one schedule: spec, policies, state, next runs, recent runs, and whether its file changed since apply')
    .addArgument(pipelineArg())
    .option('-f, --file <file>', 'compare the deployed plan with this file (default: the file it was applied from)')
    .action((id: string, opts: { file?: string }) => describe(cli, id, opts)));
  schedule.addCommand(new Command('pause')
    .description('stop starting runs (running ones go on) until unpause')
    .addArgument(pipelineArg())
    .option('--note <text>', 'why (shown by describe and in the Temporal UI)')
    .action((id: string, opts: { note?: string }) => pause(cli, id, opts.note, true)));
  schedule.addCommand(new Command('unpause')
    .description('start runs again from the next scheduled time (runs missed while paused do not start: backfill them)')
    .addArgument(pipelineArg())
    .option('--note <text>', 'why')
    .action((id: string, opts: { note?: string }) => pause(cli, id, opts.note, false)));
  schedule.addCommand(new Command('trigger')
    .description('start a run now (its run date is now), even while paused')
    .addArgument(pipelineArg())
    .action((id: string) => trigger(cli, id)));
  schedule.addCommand(new Command('backfill')
    .description('run the schedule\'s times between --from and --to now, each with its own run date; a day that already ran is run again under the same id')
    .addArgument(pipelineArg())
    .option('--from <when>', 'required: a day (2024-01-05, midnight in the schedule\'s time zone) or an ISO time; inclusive')
    .option('--to <when>', 'required: a day (through its end) or an ISO time; inclusive')
    .addOption(new Option('--overlap <policy>', 'buffer_all: one run after another · allow_all: all at once').choices(['buffer_all', 'allow_all']).default('buffer_all'))
    .action((id: string, opts: { from?: string; to?: string; overlap: 'buffer_all' | 'allow_all' }) => backfillCmd(cli, id, opts)));
  schedule.addCommand(new Command('delete')
    .description('delete the schedule (runs it started are not affected)')
    .addArgument(pipelineArg())
    .action((id: string) => remove(cli, id)));
  return schedule;
}
