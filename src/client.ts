/**
 * Starting and watching runs from outside the worker.
 *
 *   const client = await connectClient();
 *   const handle = await startRun(client, plan, { id: 'retail-manual-1' });
 *   const report = await handle.result();
 */
import { Client, Connection, type WorkflowHandle, type WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { TransientError } from './errors.js';
import type { RunPlan, RunReport } from './run.js';
import type { Progress } from '../activities/adapter.js';
import { settings } from './config.js';

export async function connectClient(address = settings().temporalAddress): Promise<Client> {
  let connection: Connection;
  try {
    connection = await Connection.connect({ address, connectTimeout: '5s' });
  } catch (err) {
    throw new TransientError(`cannot reach the Temporal server at ${address} (${(err as Error).message}); start one with \`ferry dev\` or set TEMPORAL_ADDRESS`);
  }
  return new Client({ connection, namespace: settings().namespace });
}

export function defaultRunId(pipeline: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${pipeline}-${stamp}-${Math.random().toString(36).slice(2, 6)}`;
}

export async function startRun(client: Client, plan: RunPlan, options: { id?: string; taskQueue?: string } = {}): Promise<WorkflowHandleWithFirstExecutionRunId> {
  return client.workflow.start('pipeline', {
    args: [plan],
    taskQueue: options.taskQueue ?? settings().taskQueue,
    workflowId: options.id ?? defaultRunId(plan.pipeline),
  });
}

/** What running activities last heartbeated ("ingest customers: page 2 · 8 rows"), for live views. */
export async function runningActivities(handle: WorkflowHandle): Promise<string[]> {
  try {
    const desc = await handle.describe();
    return (desc.raw.pendingActivities ?? []).flatMap((a) => {
      const data = a.heartbeatDetails?.payloads?.[0]?.data;
      if (!data) return [];
      const p = JSON.parse(Buffer.from(data).toString('utf8')) as Progress;
      const parts = [p.page && `page ${p.page}`, p.batch && `batch ${p.batch}`, p.rows !== undefined && `${p.rows} rows`, p.note].filter(Boolean);
      return [`${p.activity ?? a.activityType?.name}${a.attempt && a.attempt > 1 ? ` (attempt ${a.attempt})` : ''}: ${parts.join(' · ') || 'started'}`];
    });
  } catch {
    return [];
  }
}

export async function queryProgress(handle: WorkflowHandle): Promise<RunReport | undefined> {
  try {
    return await handle.query<RunReport>('progress');
  } catch {
    return undefined; // not picked up by a worker yet
  }
}
