/**
 * The fleet-wide `concurrency` of a rate-limited connection: a counting semaphore as an entity
 * workflow, one per (main task queue, connection), id `ferry-limit-<queue>-<connection>`. Why a
 * workflow: Temporal has no server-side bound on activities in flight per task queue, and every
 * worker's own slots multiply by the number of workers; a workflow is durable, serial and seen by
 * every run on every worker, without another service.
 *
 * - A run signals `ferryLeaseAcquire` (started with signal-with-start by the first run that finds
 *   none, activities/connection-limit.ts) and waits for `ferryLeaseGranted`; it holds the lease for
 *   one call and gives it back with its next request (`releasing`) or `ferryLeaseRelease`
 *   (workflows/lease.ts). Requests are granted first come, first served across runs.
 * - A holder that ends without releasing (terminated, timed out, reset away) must not keep its slot:
 *   every `checkMs` (the run's heartbeat_timeout) after a grant the grant is signalled again to the
 *   holder's workflow id. Signalling a closed workflow fails, and the lease is dropped then; a live
 *   holder keeps its lease (a call in a long Retry-After wait is still in flight). A waiter that
 *   ended is skipped the same way when its turn comes.
 * - The history stays bounded: continue-as-new (with holders and waiters) when the server suggests
 *   it or after MAX_HISTORY events; after IDLE_MS with no holder and no waiter the workflow ends.
 * - Operators see the holders and waiters in the Temporal UI (current details; `leases` query).
 *
 *   await getExternalWorkflowHandle(limitWorkflowId(queue, 'api')).signal(acquireSignal, request);
 */
import { condition, continueAsNew, defineQuery, defineSignal, getExternalWorkflowHandle, setCurrentDetails, setHandler, workflowInfo } from '@temporalio/workflow';
import { ACQUIRE_SIGNAL, GRANTED_SIGNAL, RELEASE_SIGNAL, type LeaseRequest } from '../src/rate-limit.js';

export const acquireSignal = defineSignal<[LeaseRequest]>(ACQUIRE_SIGNAL);
export const releaseSignal = defineSignal<[{ lease: string }]>(RELEASE_SIGNAL);
export const grantedSignal = defineSignal<[{ lease: string }]>(GRANTED_SIGNAL);

type Holder = { lease: string; holder: string; checkMs: number; grantedAt: string; checkAt: number };
export type LimitState = { connection: string; concurrency: number; holders: Holder[]; waiters: LeaseRequest[] };
export const leasesQuery = defineQuery<LimitState>('leases');

/** Continue-as-new beyond this many events: a few thousand keep replay after a worker restart quick. */
export const MAX_HISTORY = 4000;
/** With nobody holding or waiting this long, the workflow ends; the next run starts it again. */
export const IDLE_MS = 10 * 60_000;

export async function connectionLimit(state: LimitState): Promise<void> {
  let changed = false;
  /** Leases whose grant signal is on its way (a probe or the first grant). */
  const sending = new Set<string>();

  const drop = (lease: string) => {
    state.holders = state.holders.filter((h) => h.lease !== lease);
    state.waiters = state.waiters.filter((w) => w.lease !== lease);
  };
  setHandler(acquireSignal, (request) => {
    if (request.releasing) drop(request.releasing);
    state.concurrency = request.concurrency;
    const held = state.holders.find((h) => h.lease === request.lease);
    // The same lease asked for again (a run reset to before its grant): signal the grant again.
    if (held) held.checkAt = 0;
    else if (!state.waiters.some((w) => w.lease === request.lease)) state.waiters.push(request);
    changed = true;
  });
  setHandler(releaseSignal, ({ lease }) => {
    drop(lease);
    changed = true;
  });
  setHandler(leasesQuery, () => state);

  /** Signals the grant (again); a holder that no longer runs loses the lease. */
  const send = (h: Holder) => {
    sending.add(h.lease);
    h.checkAt = Date.now() + h.checkMs;
    getExternalWorkflowHandle(h.holder).signal(grantedSignal, { lease: h.lease }).then(
      () => undefined,
      () => drop(h.lease),
    ).finally(() => {
      sending.delete(h.lease);
      changed = true;
    });
  };

  for (;;) {
    while (state.holders.length < state.concurrency && state.waiters.length > 0) {
      const w = state.waiters.shift()!;
      const h: Holder = { lease: w.lease, holder: w.holder, checkMs: w.checkMs, grantedAt: new Date().toISOString(), checkAt: 0 };
      state.holders.push(h);
      send(h);
    }
    for (const h of state.holders) if (h.checkAt <= Date.now() && !sending.has(h.lease)) send(h);
    setCurrentDetails(details(state));

    const info = workflowInfo();
    if (sending.size === 0 && (info.continueAsNewSuggested || info.historyLength >= MAX_HISTORY)) await continueAsNew<typeof connectionLimit>(state);

    const idle = state.holders.length === 0 && state.waiters.length === 0 && sending.size === 0;
    const checks = state.holders.filter((h) => !sending.has(h.lease)).map((h) => h.checkAt - Date.now());
    const timeout = idle ? IDLE_MS : checks.length ? Math.max(1, Math.min(...checks)) : undefined;
    changed = false;
    const woken = timeout === undefined ? (await condition(() => changed), true) : await condition(() => changed, timeout);
    if (idle && !woken && state.holders.length === 0 && state.waiters.length === 0) return;
  }
}

/** One line for the Temporal UI: who holds, who waits. */
function details(state: LimitState): string {
  const holders = state.holders.map((h) => `${h.holder} since ${h.grantedAt}`);
  return [
    `connection ${state.connection}: ${state.holders.length} of ${state.concurrency} leases held, ${state.waiters.length} waiting`,
    ...holders.map((h) => `- ${h}`),
    ...state.waiters.slice(0, 20).map((w) => `… ${w.holder}`),
  ].join('\n');
}
