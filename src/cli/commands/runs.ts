/**
 * `ferry runs`: recent runs, newest first, from Temporal visibility — filtered by pipeline,
 * status, start time and trigger with the same query the Temporal UI takes (printed under the
 * table as a link), and with the rows each shown run delivered (from its report; `—` when unknown).
 */
import { Command, Option } from 'commander';
import type { Cli } from '../context.js';
import { positiveInt } from '../options.js';
import type { RunListing } from '../../runs.js';

type Opts = { pipeline?: string; status?: string; since?: string; trigger?: string; limit: number; json?: boolean };

const STATUSES = 'running, waiting, completed, failed, cancelled, terminated, timed-out';
const TRIGGERS = 'cli, schedule, client, retry';

export function runsCommand(cli: Cli): Command {
  return new Command('runs')
    .description('recent runs, newest first, with status, run date, trigger and rows')
    .option('--pipeline <name>', 'only runs of this pipeline')
    .option('--status <status>', `only runs in this status: ${STATUSES}`)
    .option('--since <when>', 'only runs started since: a duration back from now (30m, 2h, 7d) or a date (2024-01-05, 2024-01-05T06:00:00Z)')
    .option('--trigger <trigger>', `only runs started by: ${TRIGGERS}`)
    .addOption(new Option('-l, --limit <n>', 'how many runs').default(20).argParser(positiveInt))
    .option('--json', 'print the runs as a JSON array')
    .addHelpText('after', `
The filters are a Temporal visibility query; the same query works in the Temporal UI's search box:
  FerryPipeline = 'retail' AND FerryTrigger = 'schedule' AND ExecutionStatus = 'Failed'
--status waiting lists the runs waiting at the quality gate for ferry approve|reject|quarantine,
each with its failing rules and a few of the rows that broke them.`)
    .action(async (opts: Opts) => {
      const [{ dim, formatMs }, { listRuns, deliveredRows, runsUrl, parseSince, parseStatus, parseTrigger }, { settings }, { UsageError }] = await Promise.all([
        import('../render.js'), import('../../runs.js'), import('../../config.js'), import('../context.js'),
      ]);
      // Checked before anything is contacted; a bad value is one line and exit code 2, as commander's own.
      const bad = (flag: string, value: string, expected: string) => new UsageError(`option '${flag}' argument '${value}' is invalid. expected ${expected}`);
      const status = opts.status === undefined ? undefined : parseStatus(opts.status);
      if (opts.status !== undefined && !status) throw bad('--status <status>', opts.status, `one of: ${STATUSES}`);
      const since = opts.since === undefined ? undefined : parseSince(opts.since);
      if (opts.since !== undefined && !since) throw bad('--since <when>', opts.since, 'a duration such as 30m, 2h or 7d, or a date such as 2024-01-05 or 2024-01-05T06:00:00Z');
      const trigger = opts.trigger === undefined ? undefined : parseTrigger(opts.trigger);
      if (opts.trigger !== undefined && !trigger) throw bad('--trigger <trigger>', opts.trigger, `one of: ${TRIGGERS}`);
      const filter = { pipeline: opts.pipeline, status, since, trigger, limit: opts.limit };
      const client = await cli.services.connect();
      const runs = await listRuns(client, filter);
      const rows = await deliveredRows(client, runs);
      const now = Date.now();
      if (opts.json) {
        cli.out(`${JSON.stringify(runs.map((r, i) => jsonOf(r, rows[i])), null, 2)}\n`);
        return;
      }
      const filtered = opts.pipeline || opts.status || opts.since || opts.trigger;
      if (runs.length === 0) {
        cli.out(dim(filtered ? 'no runs match\n' : 'no runs yet\n'));
        return;
      }
      const table = [
        ['workflow id', 'pipeline', 'run date', 'trigger', 'status', 'started', 'duration', 'rows'],
        ...runs.map((r, i) => [
          r.workflowId, r.pipeline ?? '—', r.runDate ?? '—', r.trigger ?? '—', r.waiting ? 'waiting' : r.status,
          r.startTime.toISOString().replace(/\.\d+Z$/, 'Z'),
          r.durationMs !== undefined ? formatMs(r.durationMs) : r.status === 'running' ? `${formatMs(now - r.startTime.getTime())}…` : '—',
          rows[i] !== undefined ? String(rows[i]) : '—',
        ]),
      ];
      const widths = table[0]!.map((_, c) => Math.max(...table.map((row) => [...row[c]!].length)));
      for (const row of table) {
        // Rows right-aligned (a number), the rest left-aligned; no trailing spaces.
        cli.out(`${row.map((cell, c) => (c === row.length - 1 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  ')}\n`);
      }
      if (status === 'waiting') {
        const { waitingLines } = await import('../gate-text.js');
        for (const r of runs) if (r.waiting) cli.out(`\n${r.workflowId}\n${waitingLines(r.workflowId, r.waiting, r.waiting.failed, now).join('\n')}\n`);
      }
      const s = settings();
      if (filtered) cli.out(dim(`\nsame filter in the Temporal UI: ${runsUrl(s.uiUrl, s.namespace, filter)}\n`));
    });
}

function jsonOf(r: RunListing, rows: number | undefined) {
  return {
    workflowId: r.workflowId, runId: r.runId, pipeline: r.pipeline ?? null, runDate: r.runDate ?? null, trigger: r.trigger ?? null, status: r.status,
    startTime: r.startTime.toISOString(), closeTime: r.closeTime?.toISOString() ?? null, durationMs: r.durationMs ?? null, rowsDelivered: rows ?? null,
    ...(r.waiting ? { waiting: r.waiting } : {}),
  };
}
