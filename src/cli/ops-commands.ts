/** Commands about runs that exist: status, runs, history; and the worker and dev services. */
import { writeFile } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { connectClient, queryProgress, runningActivities } from '../client.js';
import { createWorker } from '../worker.js';
import { closePgPools } from '../connect/pg.js';
import { stagingFromEnv } from '../staging/store.js';
import { pruneStaging } from '../staging/prune.js';
import { parseDuration } from '../pipeline/duration.js';
import { settings, workflowUrl } from '../config.js';
import { bold, dim, red, green, formatMs, progressLines, reportText, rootMessage } from './render.js';
import type { RunReport } from '../run.js';

export async function statusCommand(id: string): Promise<number> {
  const client = await connectClient();
  const handle = client.workflow.getHandle(id);
  const desc = await handle.describe();
  process.stdout.write(`${bold(id)}  ${desc.status.name}  started ${desc.startTime.toISOString()}\n`);
  if (desc.status.name === 'COMPLETED') {
    // A finished run's report is its result: no worker needs to answer a query.
    process.stdout.write(reportText((await handle.result()) as RunReport, workflowUrl(id)));
    return 0;
  }
  if (desc.status.name === 'FAILED') {
    const failure = await handle.result().then(() => '', (err: unknown) => rootMessage(err));
    process.stdout.write(`  ${red('failed:')} ${failure}\n  ${dim(workflowUrl(id))}\n`);
    return 1;
  }
  const progress = await queryProgress(handle);
  if (progress) process.stdout.write(`${progressLines(progress).join('\n')}\n`);
  // Running activities report rows and pages through their heartbeats.
  for (const line of await runningActivities(handle)) process.stdout.write(`  ${dim('running')} ${line}\n`);
  process.stdout.write(`  ${dim(workflowUrl(id))}\n`);
  return 0;
}

export async function runsCommand(limit = 20): Promise<number> {
  const client = await connectClient();
  let n = 0;
  process.stdout.write(`${'workflow id'.padEnd(48)} ${'status'.padEnd(12)} ${'started'.padEnd(24)} duration\n`);
  for await (const wf of client.workflow.list({ query: `WorkflowType = 'pipeline'` })) {
    const duration = wf.closeTime ? formatMs(wf.closeTime.getTime() - wf.startTime.getTime()) : '';
    process.stdout.write(`${wf.workflowId.padEnd(48)} ${wf.status.name.padEnd(12)} ${wf.startTime.toISOString().padEnd(24)} ${duration}\n`);
    if (++n >= limit) break;
  }
  if (n === 0) process.stdout.write(dim('no runs yet\n'));
  return 0;
}

export async function historyCommand(id: string, out: string | undefined): Promise<number> {
  const client = await connectClient();
  const history = await client.workflow.getHandle(id).fetchHistory();
  const json = historyToJSON(history);
  if (out) {
    await writeFile(out, json);
    process.stdout.write(`wrote ${history.events?.length ?? 0} events to ${out}\n`);
  } else {
    process.stdout.write(`${json}\n`);
  }
  return 0;
}

export async function workerCommand(taskQueue: string | undefined): Promise<number> {
  const s = settings();
  const { worker, connection } = await createWorker({
    taskQueue,
    report: (r) => {
      const head = `${new Date().toISOString().slice(11, 19)} ${r.workflowId} ${r.label}${r.attempt > 1 ? ` (attempt ${r.attempt})` : ''}`;
      const line = r.error
        ? `${red('✖')} ${head}: ${r.error}${r.willRetry ? dim(' — will retry') : dim(' — not retryable')}`
        : `${green('✔')} ${head}: ${r.summary} ${dim(formatMs(r.durationMs))}`;
      process.stdout.write(`${line}\n`);
    },
  });
  process.stdout.write(`ferry worker on task queue ${bold(taskQueue ?? s.taskQueue)} at ${s.temporalAddress} (Ctrl-C to stop)\n`);
  try {
    await worker.run(); // returns once SIGINT/SIGTERM has drained it
  } finally {
    await closePgPools();
    await connection.close();
  }
  process.stdout.write('worker stopped\n');
  return 0;
}

/** `ferry dev [start|stop|status|env]`: the local Temporal dev server and MinIO (built when missing). */
export function devCommand(action = 'start'): number {
  const script = fileURLToPath(new URL('../../scripts/services.sh', import.meta.url));
  const res = spawnSync('bash', [script, action], { stdio: 'inherit' });
  if (res.status === 0 && action === 'start') {
    process.stdout.write(`\nTemporal UI: ${settings().uiUrl}\nFor a client shell: eval "$(bash scripts/services.sh env)"\n`);
  }
  return res.status ?? 1;
}

/** `ferry prune [--older-than 7d] [--dry-run]`: deletes staged files of runs last written before then. */
export async function pruneCommand(olderThan = '7d', dryRun = false): Promise<number> {
  const store = stagingFromEnv();
  const removed = await pruneStaging(store, parseDuration(olderThan), { dryRun });
  const mb = (removed.reduce((n, r) => n + r.bytes, 0) / 1e6).toFixed(1);
  for (const r of removed) process.stdout.write(`  ${dryRun ? 'would remove' : 'removed'} ${r.run} ${dim(`(${(r.bytes / 1e6).toFixed(1)} MB, last written ${r.lastModified.toISOString()})`)}\n`);
  process.stdout.write(`${dryRun ? 'would free' : 'freed'} ${mb} MB in ${store.root}: ${removed.length} run${removed.length === 1 ? '' : 's'} older than ${olderThan}\n`);
  return 0;
}

/** `ferry cancel <id>`: asks the run to stop; running activities are cancelled at their next heartbeat. */
export async function cancelCommand(id: string): Promise<number> {
  const client = await connectClient();
  await client.workflow.getHandle(id).cancel();
  process.stdout.write(`cancellation requested for ${id}\n  ${dim(workflowUrl(id))}\n`);
  return 0;
}
