/**
 * startConnectionLimit: starts the fleet-wide semaphore of a rate-limited connection
 * (workflows/connection-limit.ts) with a run's first lease request, or, if another run started it
 * meanwhile, just delivers the request: Temporal's signal-with-start is atomic, so two runs that
 * find no semaphore at once still get one. A workflow cannot signal-with-start another workflow, so
 * this is an activity; it runs only when the run's plain signal found no semaphore.
 *
 *   await startConnectionLimit({ workflowId: 'ferry-limit-ferry-api', taskQueue: 'ferry', connection: 'api', request });
 */
import { Context } from '@temporalio/activity';
import { LIMIT_WORKFLOW, ACQUIRE_SIGNAL, type StartLimitInput } from '../src/rate-limit.js';

export async function startConnectionLimit({ workflowId, taskQueue, connection, request }: StartLimitInput): Promise<void> {
  await Context.current().client.workflow.signalWithStart(LIMIT_WORKFLOW, {
    workflowId,
    taskQueue,
    args: [{ connection, concurrency: request.concurrency, holders: [], waiters: [] }],
    signal: ACQUIRE_SIGNAL,
    signalArgs: [request],
    staticSummary: `fleet-wide concurrency of connection ${connection} (${request.concurrency} at once)`,
  });
}
