/**
 * `ferry status <id>`: one run's stage table — running, completed, failed, cancelled or terminated
 * alike. An ended run is read from Temporal alone, no worker needed: a completed run's result, a
 * failed or cancelled run's report kept in its memo, and for a run that left no report (terminated,
 * timed out) what its history tells. A running run shows live progress (needs a worker to answer)
 * and what its activities last heartbeated.
 */
import { Command } from 'commander';
import type { Cli } from '../context.js';

export function statusCommand(cli: Cli): Command {
  return new Command('status')
    .description('one run\'s stages, rows and sinks: running, failed, cancelled or terminated')
    .argument('<workflow-id>', 'the run, as `ferry run` or `ferry runs` printed it')
    .option('--json', 'print the run\'s report as JSON (the shape of its report.json)')
    .action(async (id: string, opts: { json?: boolean }) => {
      const [{ bold, dim, red, reportText, progressLines }, { workflowUrl }, { endOf }, { activityLines }, { describeRun, listing, readRun }, { reportFromHistory }] = await Promise.all([
        import('../render.js'), import('../../config.js'), import('../watch.js'), import('../activities-view.js'), import('../../runs.js'), import('../../run-history.js'),
      ]);
      const { waitingLines } = await import('../gate-text.js');
      const client = await cli.services.connect();
      const handle = client.workflow.getHandle(id);
      const desc = await describeRun(handle);
      const run = listing(desc);
      const url = workflowUrl(id);
      const header = (report?: { run?: { date?: string; trigger?: string } }) => {
        const date = run.runDate ?? report?.run?.date;
        const trigger = run.trigger ?? report?.run?.trigger;
        const facts = [`started ${run.startTime.toISOString()}`, date && `run date ${date}`, trigger && `trigger ${trigger}`].filter(Boolean).join(' · ');
        cli.out(`${bold(id)}  ${(run.waiting ? 'waiting' : run.status).toUpperCase()}  ${facts}\n`);
      };

      if (run.status === 'running') {
        // Events 3 and 4: a worker ran the first workflow task. A picked-up run that gets no answer lost its worker.
        const pickedUp = desc.historyLength >= 4;
        const progress = pickedUp ? await readRun(client, id, { description: desc }).then((r) => r.report, () => undefined) : undefined;
        if (opts.json) {
          cli.out(`${JSON.stringify(progress ?? null, null, 2)}\n`);
          return;
        }
        header(progress);
        if (progress) cli.out(`${progressLines(progress).join('\n')}\n`);
        else if (pickedUp) cli.out(`  ${red(`no worker answers on task queue ${desc.taskQueue}`)}: start one (ferry worker --task-queue ${desc.taskQueue}); a killed worker's activities resume on it\n`);
        else cli.out(`  ${dim(`no worker has picked this run up yet: is one running on its task queue ${desc.taskQueue}? (ferry worker --task-queue ${desc.taskQueue})`)}\n`);
        // Waiting at the quality gate: why, until when, and how to decide (from the run, else its memo).
        const gate = progress ? (progress.status === 'waiting' ? progress.gate : undefined) : run.waiting;
        if (gate) {
          const failed = run.waiting?.failed ?? (progress?.quality?.outcomes ?? []).filter((o) => gate.rules.includes(o.name));
          cli.out(`${waitingLines(id, gate, failed).join('\n')}\n`);
        }
        for (const line of activityLines(desc.raw.pendingActivities)) cli.out(`  ${dim('running')} ${line.text}\n`);
        cli.out(`  ${dim(url)}\n`);
        return;
      }

      // Ended: the report from the result or the memo; else what the history says (terminated, timed out).
      let { report } = await readRun(client, id, { description: desc, queryTimeoutMs: 3000 });
      const fromHistory = !report;
      if (!report) report = reportFromHistory(await handle.fetchHistory(), run.status, id);
      if (opts.json) {
        const { reportFile } = await import('../../audit/report-file.js');
        cli.out(`${JSON.stringify(report ? reportFile(report, report.record?.reportUri ?? '') : null, null, 2)}\n`);
        if (run.status !== 'completed' || report?.status !== 'completed') cli.exitCode = 1;
        return;
      }
      header(report);
      if (report) cli.out(reportText(report, url));
      if (run.status === 'completed') {
        // A run stopped by `ferry cancel` in an older version completed with a report that says so.
        if (report?.status !== 'completed') cli.exitCode = 1;
        return;
      }
      const end = await handle.result().then(() => undefined, (err: unknown) => endOf(err));
      const known = fromHistory && report ? `  ${dim('(no report was kept: this is what the run\'s history tells)')}\n` : '';
      cli.out(`${known}  ${red(`${end?.status ?? run.status}:`)} ${end?.cause ?? ''}\n${report ? '' : `  ${dim(url)}\n`}`);
      cli.exitCode = 1;
    });
}
