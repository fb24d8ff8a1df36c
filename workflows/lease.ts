/**
 * A run's side of the fleet-wide lease of a rate-limited connection (workflow code; the semaphore
 * itself is workflows/connection-limit.ts). Each call through the connection holds one lease:
 *
 *   const lease = newLease();
 *   await acquireLease(plan, connection, limit, lease, previous); // gives `previous` back, waits for the grant
 *   …call…
 *   await releaseLease(connection, lease);                        // also on failure and cancellation
 *
 * Giving the previous lease back in the next request costs one signal per call instead of two (a
 * run's history grows with every call, and a source is capped at MAX_LEASED_CALLS of them); it still
 * goes to the back of the queue, so runs take turns.
 */
import { CancellationScope, condition, getExternalWorkflowHandle, isCancellation, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { RunPlan } from '../src/run.js';
import { durationMs, limitWorkflowId, type LeaseRequest, type RateLimit } from '../src/rate-limit.js';
import { acquireSignal, grantedSignal, releaseSignal } from './connection-limit.js';
import type { Activities } from './stages.js';

/** Module state is per workflow: the leases granted to this run, and its lease counter. */
const granted = new Set<string>();
let listening = false;
let count = 0;

const starter = () => proxyActivities<Activities>({
  startToCloseTimeout: '1m',
  retry: { initialInterval: '1s', maximumInterval: '10s' },
  summary: 'start the connection\'s lease keeper',
});

/** A lease id unique to this call: workflow id, first run id (a reset keeps it), number. */
export function newLease(): string {
  const info = workflowInfo();
  return `${info.workflowId}/${info.firstExecutionRunId.slice(0, 8)}/${++count}`;
}

/**
 * Asks the connection's semaphore for `lease` (giving back `releasing`), starting the semaphore
 * if there is none, and waits until it is granted.
 */
export async function acquireLease(plan: RunPlan, connection: string, limit: RateLimit, lease: string, releasing?: string): Promise<void> {
  if (!listening) {
    setHandler(grantedSignal, ({ lease: id }) => void granted.add(id));
    listening = true;
  }
  if (releasing) granted.delete(releasing);
  const { workflowId, taskQueue } = workflowInfo();
  const request: LeaseRequest = {
    lease,
    holder: workflowId,
    concurrency: limit.concurrency,
    checkMs: durationMs(plan.spec.settings.heartbeat_timeout),
    ...(releasing ? { releasing } : {}),
  };
  const id = limitWorkflowId(taskQueue, connection);
  try {
    await getExternalWorkflowHandle(id).signal(acquireSignal, request);
  } catch (err) {
    if (isCancellation(err)) throw err;
    // No semaphore running (first use, or it ended when idle): start it with this request.
    await starter().startConnectionLimit({ workflowId: id, taskQueue, connection, request });
  }
  await condition(() => granted.has(lease));
}

/** Gives `lease` back (granted or still waiting), even when the run is being cancelled. */
export async function releaseLease(connection: string, lease: string): Promise<void> {
  granted.delete(lease);
  const id = limitWorkflowId(workflowInfo().taskQueue, connection);
  await CancellationScope.nonCancellable(() => getExternalWorkflowHandle(id).signal(releaseSignal, { lease })).catch(() => undefined);
}
