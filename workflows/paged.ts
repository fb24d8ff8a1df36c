/**
 * Sources and sinks on a rate-limited http connection (`rate_limit:`), driven one request per
 * activity on the connection's own task queue (workflow code). The queue's dispatch rate is limited
 * by the Temporal server for every worker together (src/rate-limit.ts), so the requests of
 * all runs, on all workers, keep to `requests_per_second`.
 *
 *   api: { type: http, base_url: …, rate_limit: { requests_per_second: 5, concurrency: 2 } }
 *
 * - ingest: the source's ingest activity with `requestBudget: 1`, again and again while it answers
 *   `{ pending: true }` (the adapter saves its place in its checkpoint between calls), then its
 *   staged output;
 * - deliver: the sink's `deliverBatches` activity with `batchBudget: 1` the same way.
 * Each call has the source's or sink's retry policy; a 429/503's Retry-After becomes the durable
 * wait before the next attempt (activities/retry-delay.ts), and a retry is dispatched through the
 * same rate-limited queue.
 *
 * At most `concurrency` activities of a connection are in flight at once for the whole fleet: each
 * call holds a lease of the connection's semaphore workflow (lease.ts, connection-limit.ts), which
 * bounds the run's own sources and sinks on the connection too. Runs recorded before the lease (no
 * FLEET_LEASE_PATCH marker) replay and continue with the per-run slots they had (withSlot).
 *
 * History: each call is a few events, and continue-as-new is not possible mid-stage, so one source
 * or sink makes at most MAX_LEASED_CALLS calls; beyond that the run fails with a clear error.
 */
import { proxyActivities, workflowInfo, condition, patched, ApplicationFailure } from '@temporalio/workflow';
import type { RunPlan, RunContext, IngestInput, IngestOutput, DeliverOutput, DatasetRef, DeliverInput } from '../src/run.js';
import type { RetrySpec } from '../src/pipeline/retry.js';
import { rateLimitOfConnection, rateLimitQueue, type RateLimit } from '../src/rate-limit.js';
import { activityOptions, type activityProxies, type Activities } from './stages.js';
import { deliverSlice, targetOf } from './slices.js';
import { newLease, acquireLease, releaseLease } from './lease.js';

type Acts = ReturnType<typeof activityProxies>;
type Source = RunPlan['spec']['sources'][string];
type Sink = RunPlan['spec']['sinks'][string];

/**
 * Calls one source or sink may make through a rate-limited connection in one run. A call is about
 * six history events (workflow task, scheduled, started, completed); with the fleet-wide lease
 * about fifteen (the request signal, its acknowledgement, the grant, and a workflow task after
 * each: measured in test/integration/connection-limit.test.ts). 3000 plain or 2000 leased calls
 * keep a run well below Temporal's 51 200-event history limit.
 */
export const MAX_PAGED_CALLS = 3000;
export const MAX_LEASED_CALLS = 2000;

/** The `rate_limit` of the http connection a source or sink uses, if any. */
export function rateLimitOf(plan: RunPlan, spec: Source | Sink): RateLimit | undefined {
  if (spec.type !== 'http') return undefined;
  const name = (spec as { connection?: string }).connection;
  return name ? rateLimitOfConnection(plan.connections[name]) : undefined;
}

/** Activities on a connection's rate-limited queue (the main queue is the workflow's own). */
function limitedProxy(plan: RunPlan, connection: string, retry: Partial<RetrySpec>, summary: string) {
  return proxyActivities<Activities>({
    ...activityOptions(plan.spec.settings, retry),
    taskQueue: rateLimitQueue(workflowInfo().taskQueue, connection),
    summary,
  });
}

/** In-flight activities per rate-limited connection in this run, for runs from before the lease (module state is per workflow). */
const inFlight = new Map<string, number>();

async function withSlot<T>(connection: string, limit: RateLimit, work: () => Promise<T>): Promise<T> {
  await condition(() => (inFlight.get(connection) ?? 0) < limit.concurrency);
  inFlight.set(connection, (inFlight.get(connection) ?? 0) + 1);
  try {
    return await work();
  } finally {
    inFlight.set(connection, inFlight.get(connection)! - 1);
  }
}

/** Calls through a rate-limited connection hold a fleet-wide lease from this patch on. */
export const FLEET_LEASE_PATCH = 'fleet-lease';

/**
 * Calls `once` until it answers something other than pending; MAX_LEASED_CALLS at most. Each call
 * holds a lease of the connection's semaphore; the lease goes back with the next call's request,
 * or on the way out (done, failed or cancelled).
 */
async function untilDone<T extends object>(plan: RunPlan, what: string, connection: string, limit: RateLimit, once: (call: number) => Promise<T | { pending: true }>): Promise<T> {
  // Without a `concurrency` the rate alone limits the connection: no lease, no round trips.
  const fleet = patched(FLEET_LEASE_PATCH) && limit.fleet !== false;
  const most = fleet ? MAX_LEASED_CALLS : MAX_PAGED_CALLS;
  let held: string | undefined;
  try {
    for (let call = 1; call <= most; call++) {
      let out: T | { pending: true };
      if (fleet) {
        // The previous lease goes back in the same request: a loop never holds one while waiting
        // for another, so two sources of one run on one connection cannot block each other.
        const previous = held;
        held = newLease();
        await acquireLease(plan, connection, limit, held, previous);
        out = await once(call);
      } else {
        out = await withSlot(connection, limit, () => once(call));
      }
      if (!('pending' in out)) return out;
    }
  } finally {
    if (held) await releaseLease(connection, held);
  }
  throw ApplicationFailure.create({
    message: `${what} needed more than ${most} requests through rate-limited connection ${connection}; ` +
      'a run holds at most that many (one activity each, in the run\'s history): split the work (incremental:, a narrower query) or remove rate_limit',
    type: 'CONFIG',
    nonRetryable: true,
  });
}

export async function ingestPaged(_acts: Acts, plan: RunPlan, slice: IngestInput): Promise<IngestOutput> {
  const source = plan.spec.sources[slice.dataset]!;
  const connection = (source as { connection: string }).connection;
  const limit = rateLimitOf(plan, source)!;
  return untilDone<IngestOutput>(plan, `source ${slice.dataset}`, connection, limit, (call) =>
    limitedProxy(plan, connection, source.retry ?? {}, `ingest ${slice.dataset} request ${call}`).ingest({ ...slice, requestBudget: 1 }));
}

/**
 * Delivers one sink: on its rate-limited connection batch by batch, else with one deliver activity
 * exactly as before (the same command, so existing histories replay).
 */
export async function deliverSink(acts: Acts, plan: RunPlan, run: RunContext, sink: string, input: DatasetRef, runStartedAt: string): Promise<DeliverOutput> {
  const spec = plan.spec.sinks[sink]!;
  const slice: DeliverInput = deliverSlice(plan, run, sink, input, runStartedAt);
  const limit = rateLimitOf(plan, spec);
  if (!limit) return acts.deliver(slice, spec.retry);
  const connection = (spec as { connection: string }).connection;
  return untilDone<DeliverOutput>(plan, `sink ${sink}`, connection, limit, (call) =>
    limitedProxy(plan, connection, spec.retry ?? {}, `deliver ${sink} → ${targetOf(spec)} batch ${call}`).deliverBatches({ ...slice, batchBudget: 1 }));
}
