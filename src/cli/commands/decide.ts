/**
 * `ferry approve|reject|quarantine <id>`: the decision on a run waiting at the quality gate, sent as
 * the run's `decide` Update (workflows/gate.ts). The run itself checks it (a run not waiting, a
 * second decision, are refused with the run's own sentence); this command first makes sure a worker
 * answers, so a decision is never left pending with nobody to take it.
 *
 *   ferry approve retail-2024-01-05 --comment "the late rows are known; deliver"
 *   ferry quarantine retail-2024-01-05 --by ops-oncall
 */
import { Command } from 'commander';
import type { Cli } from '../context.js';
import type { DecisionKind } from '../../quality/schema.js';

const WHAT: Record<DecisionKind, string> = {
  approve: 'deliver every row, the failing rules notwithstanding (they stay listed in the report)',
  reject: 'fail the run: no sink is written',
  quarantine: 'deliver the rows that pass the rules and set the others aside in <dataset>_rejects',
};

export const decideCommands = (cli: Cli): Command[] => (['approve', 'reject', 'quarantine'] as const).map((kind) => decideCommand(cli, kind));

function decideCommand(cli: Cli, kind: DecisionKind): Command {
  return new Command(kind)
    .description(`a run waiting at the quality gate: ${WHAT[kind]}`)
    .argument('<workflow-id>', 'the waiting run (ferry runs --status waiting lists them)')
    .option('--comment <text>', 'why; kept with the decision in the run\'s report')
    .option('--by <name>', 'who decides (default: your user name)')
    .action(async (id: string, opts: { comment?: string; by?: string }) => {
      const [{ userInfo }, { describeRun, listing, readRun }, { decideUpdate }, { decidedText }] = await Promise.all([
        import('node:os'), import('../../runs.js'), import('../../../workflows/gate.js'), import('../gate-text.js'),
      ]);
      const fail = (text: string) => {
        cli.err(`error: ${text}\n`);
        cli.exitCode = 1;
      };
      const client = await cli.services.connect();
      const desc = await describeRun(client.workflow.getHandle(id));
      const run = listing(desc);
      if (run.status !== 'running') {
        const { report } = await readRun(client, id, { description: desc });
        const d = report?.decision;
        const decided = d ? `; it was decided: ${d.decision} by ${d.by} at ${d.at}` : '';
        return fail(`run ${id} is not waiting for a decision: it has ended (${run.status})${decided}`);
      }
      // A decision needs a worker to take it: ask the run first, so none is left pending unanswered.
      // Up to 10 s: right after a worker was replaced, Temporal first tries the dead worker's sticky queue.
      const { report } = await readRun(client, id, { description: desc, runId: run.runId, queryTimeoutMs: 10_000 });
      if (!report) return fail(`no worker answers on task queue ${desc.taskQueue}: start one (ferry worker --task-queue ${desc.taskQueue}), then decide again; nothing was decided`);
      const by = opts.by?.trim() || userName(userInfo);
      const handle = client.workflow.getHandle(id, run.runId);
      let decision;
      try {
        decision = await handle.executeUpdate(decideUpdate, { args: [{ decision: kind, by, ...(opts.comment ? { comment: opts.comment } : {}) }] });
      } catch (err) {
        const { rootMessage } = await import('../render.js');
        return fail(rootMessage(err));
      }
      const failed = (report.quality?.outcomes ?? []).filter((o) => report.gate?.rules.includes(o.name) ?? false);
      cli.out(decidedText(id, decision, failed));
    });
}

/** The OS user, else $USER; 'unknown' on a system that has neither. */
function userName(userInfo: () => { username: string }): string {
  try {
    return userInfo().username || process.env.USER || 'unknown';
  } catch {
    return process.env.USER || 'unknown';
  }
}
