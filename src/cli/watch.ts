/**
 * `--wait` for `ferry run` and `ferry retry`: a live view of a run until it ends, then its report.
 * While waiting it says when no worker polls the run's task queue (the commonest reason a run "hangs"),
 * shows what running activities heartbeat (pages, batches, rows), and which activities are being
 * retried with their last error. Exit code: 0 only when the run completed.
 *
 *   const code = await watchRun(cli, { handle, pollers: (q) => workflowPollers(client, q) });
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { CancelledFailure, TerminatedFailure, TimeoutFailure, WorkflowFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import type { RunReport } from '../run.js';
import type { Cli } from './context.js';
import { activityLines } from './activities-view.js';
import { ProgressView, reportText, rootMessage, red, dim } from './render.js';
import { workflowUrl } from '../config.js';
import { reportFile } from '../audit/report-file.js';

export type WatchTarget = {
  handle: Pick<WorkflowHandle, 'workflowId' | 'describe' | 'query' | 'result'>;
  /** How many workers polled the task queue recently (for workflow tasks). */
  pollers: (taskQueue: string) => Promise<number>;
};

export type WatchOptions = {
  /** How often the view refreshes. */
  pollMs?: number;
  /** After this long without a worker picking the run up, check the task queue for pollers. */
  noWorkerAfterMs?: number;
  /** A query that takes longer is skipped this round (a dead worker leaves queries unanswered). */
  queryTimeoutMs?: number;
  /** Print the final report as JSON (report.json's shape) on stdout; the live view goes to stderr. */
  json?: boolean;
};

export async function workflowPollers(client: Client, taskQueue: string): Promise<number> {
  const res = await client.workflowService.describeTaskQueue({
    namespace: client.options.namespace,
    taskQueue: { name: taskQueue, kind: 1 }, // TASK_QUEUE_KIND_NORMAL
    taskQueueType: 1, // TASK_QUEUE_TYPE_WORKFLOW
  });
  return res.pollers?.length ?? 0;
}

/** The promise's value, or undefined when it fails or takes longer than `ms`. */
export async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  promise.catch(() => undefined);
  const timer = sleep(ms, undefined, { ref: false });
  return Promise.race([promise.catch(() => undefined), timer]);
}

/** How a run that did not complete ended, from the error `result()` rejects with. */
export function endOf(err: unknown): { status: 'cancelled' | 'terminated' | 'timed out' | 'failed'; cause: string } {
  const cause = err instanceof WorkflowFailedError ? err.cause : undefined;
  // The cause follows the status ("✖ run terminated: <reason>"): it does not repeat it.
  if (cause instanceof CancelledFailure) return { status: 'cancelled', cause: 'by ferry cancel, or in the Temporal UI' };
  if (cause instanceof TerminatedFailure) return { status: 'terminated', cause: cause.message && cause.message !== 'Workflow execution terminated' ? cause.message : 'no reason given' };
  if (cause instanceof TimeoutFailure) return { status: 'timed out', cause: 'the workflow timed out' };
  return { status: 'failed', cause: err instanceof WorkflowFailedError ? rootMessage(err) : (err as Error).message };
}

export async function watchRun(cli: Cli, target: WatchTarget, options: WatchOptions = {}): Promise<number> {
  const { pollMs = 500, noWorkerAfterMs = 5000, queryTimeoutMs = 2000, json = false } = options;
  const final = (report: RunReport, url: string) => (json ? `${JSON.stringify(reportFile(report, report.record?.reportUri ?? ''), null, 2)}\n` : reportText(report, url));
  const { handle } = target;
  const id = handle.workflowId;
  const url = workflowUrl(id);
  const view = new ProgressView(json ? cli.err : cli.out, cli.isTTY);
  const started = Date.now();
  let warned = false;
  let askedNoted = false;
  let pickedUp = false;
  let last: RunReport | undefined;

  let done = false;
  const result = handle.result().finally(() => {
    done = true;
  });
  result.catch(() => undefined);
  // Ctrl-C stops watching, not the run: it is durable and goes on in Temporal.
  const onInterrupt = () => {
    view.clear();
    cli.out(`\nstopped watching; the run goes on. Follow it with: ferry status ${id}\n`);
    process.exit(130);
  };
  process.once('SIGINT', onInterrupt);
  try {
    return await watchUntilDone();
  } finally {
    process.off('SIGINT', onInterrupt);
  }

  async function watchUntilDone(): Promise<number> {
    while (!done) {
      const desc = await handle.describe().catch(() => undefined);
      // Events 3 and 4 are the first workflow task started and completed: a worker has the run.
      if (desc && desc.historyLength >= 3) {
        if (warned && !pickedUp) view.note(`a worker picked ${id} up`);
        pickedUp = true;
      }
      const progress = !desc || desc.historyLength >= 4 ? await within(handle.query<RunReport>('progress'), queryTimeoutMs) : undefined;
      if (progress) last = progress;
      if (progress?.status === 'waiting' && !askedNoted) {
        askedNoted = true; // said once: the run may wait for hours
        view.note(`${red('!')} waiting for a decision on ${progress.gate?.rules.join(', ') ?? 'the quality rules'}: ferry approve|reject|quarantine ${id} (Ctrl-C stops watching; the run keeps waiting)`);
      }
      if (!pickedUp && !warned && desc && Date.now() - started >= noWorkerAfterMs) {
        const pollers = await target.pollers(desc.taskQueue).catch(() => undefined);
        if (pollers === 0) {
          warned = true;
          view.note(`${red('!')} no worker has polled task queue ${desc.taskQueue} in the last ${Math.round((Date.now() - started) / 1000)}s: ` +
            `start one with \`ferry worker --task-queue ${desc.taskQueue}\` (the run waits for it)`);
        }
      }
      if (!done) view.update(last, activityLines(desc?.raw.pendingActivities));
      await Promise.race([sleep(pollMs), result.catch(() => undefined)]);
    }

    try {
      const report = (await result) as RunReport;
      view.clear();
      cli.out(final(report, url));
      if (report.status === 'completed') return 0;
      cli.err(`${red(`✖ run ${report.status}`)}${report.error ? `: ${report.error}` : ''}\n  ${dim(url)}\n`);
      return 1;
    } catch (err) {
      // The report of a run that did not complete: every stage, and what each sink did — kept in its
      // memo (no worker needed), else from the progress query (runs from before reports were kept).
      const kept = await handle.describe().then((d) => d.memo?.report as RunReport | undefined, () => undefined);
      const ended = kept?.stages ? kept : await within(handle.query<RunReport>('progress'), queryTimeoutMs);
      view.clear();
      if (ended) cli.out(final(ended, url));
      const end = endOf(err);
      const where = end.status === 'failed' && ended?.error ? ` in ${ended.error.split(':')[0]}` : '';
      cli.err(`\n${red(`✖ run ${end.status}`)}${where}: ${end.cause}\n${ended ? '' : `  ${dim(url)}\n`}`);
      return 1;
    }
  }
}
