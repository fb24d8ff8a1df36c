/** `ferry status <id>`: one run — its report when it has ended, else live progress and running activities. */
import { Command } from 'commander';
import type { Cli } from '../context.js';
import type { RunReport } from '../../run.js';

/** Temporal's execution status as a run status a user reads. */
const ENDED: Record<string, string> = { FAILED: 'failed', CANCELLED: 'cancelled', TERMINATED: 'terminated', TIMED_OUT: 'timed out' };

export function statusCommand(cli: Cli): Command {
  return new Command('status')
    .description('progress of one run: stages, rows, running activities and their retries; the report once it has ended')
    .argument('<workflow-id>', 'the run, as `ferry run` or `ferry runs` printed it')
    .action(async (id: string) => {
      const [{ bold, dim, red, reportText, progressLines }, { workflowUrl }, { endOf, within }, { activityLines }] = await Promise.all([
        import('../render.js'), import('../../config.js'), import('../watch.js'), import('../activities-view.js'),
      ]);
      const client = await cli.services.connect();
      const handle = client.workflow.getHandle(id);
      const desc = await handle.describe();
      const status = desc.status.name;
      if (status === 'COMPLETED') {
        // A finished run's report is its result: no worker needs to answer a query. A run stopped by
        // `ferry cancel` may also end with a report that says so.
        const report = (await handle.result()) as RunReport;
        cli.out(`${bold(id)}  ${report.status.toUpperCase()}  started ${desc.startTime.toISOString()}\n`);
        cli.out(reportText(report, workflowUrl(id)));
        if (report.status !== 'completed') cli.exitCode = 1;
        return;
      }
      cli.out(`${bold(id)}  ${status === 'RUNNING' ? status : (ENDED[status] ?? status).toUpperCase()}  started ${desc.startTime.toISOString()}\n`);
      if (status !== 'RUNNING') {
        const end = await handle.result().then(() => undefined, (err: unknown) => endOf(err));
        // Every stage and what each sink did (delivered, failed, not started), if a worker answers.
        const report = await within(handle.query<RunReport>('progress'), 3000);
        if (report) cli.out(reportText(report, workflowUrl(id)));
        cli.out(`  ${red(`${end?.status ?? ENDED[status] ?? status}:`)} ${end?.cause ?? ''}\n${report ? '' : `  ${dim(workflowUrl(id))}\n`}`);
        cli.exitCode = 1;
        return;
      }
      // Events 3 and 4: a worker ran the first workflow task. A picked-up run that gets no answer lost its worker.
      const pickedUp = desc.historyLength >= 4;
      const progress = pickedUp ? await handle.query<RunReport>('progress').catch(() => undefined) : undefined;
      if (progress) cli.out(`${progressLines(progress).join('\n')}\n`);
      else if (pickedUp) cli.out(`  ${red(`no worker answers on task queue ${desc.taskQueue}`)}: start one (ferry worker --task-queue ${desc.taskQueue}); a killed worker's activities resume on it\n`);
      else cli.out(`  ${dim('no worker has picked this run up yet')}\n`);
      for (const line of activityLines(desc.raw.pendingActivities)) cli.out(`  ${dim('running')} ${line.text}\n`);
      cli.out(`  ${dim(workflowUrl(id))}\n`);
    });
}
