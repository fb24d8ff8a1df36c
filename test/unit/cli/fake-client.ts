/** A fake Temporal client for CLI tests: one run (or none), a list of runs, and a record of what was asked. */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { RunReport } from '../../../src/run.js';

export const payload = (v: unknown) => ({ payloads: [{ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from(JSON.stringify(v)) }] });

export type FakeRun = {
  status: string; historyLength?: number; pending?: unknown[]; progress?: RunReport; memo?: Record<string, unknown>; failure?: unknown; result?: unknown;
  attributes?: Record<string, string>; closeTime?: Date;
  /** The progress query gets no answer (no worker): it ends only at the call's deadline, else after the SDK's 30 s. */
  hangs?: boolean;
  /** What the run's Updates answer (`ferry approve|reject|quarantine`): a value, or throw to refuse. */
  update?: (name: string, args: unknown[]) => unknown;
};

/** Progress queries that have not ended yet (a `hangs` run's query without a deadline stays here ~30 s). */
export const pendingQueries = new Set<Promise<unknown>>();

/**
 * A client whose one run is `run` and whose list is `runs`; `calls` records what was asked of it
 * (list queries, cancel, terminate); `results` are the results of listed runs by run id.
 */
export function fakeClient(run: FakeRun | undefined, calls: string[] = [], runs: unknown[] = [], results: Record<string, unknown> = {}): () => Promise<Client> {
  let deadline: number | undefined;
  const handle = (id: string, runId?: string) => ({
    workflowId: id,
    describe: async () => {
      if (!run) throw new WorkflowNotFoundError(`workflow not found for ID: ${id}`, id, undefined);
      return {
        workflowId: id, runId: 'r1', status: { name: run.status }, startTime: new Date('2026-01-01T00:00:00Z'), closeTime: run.closeTime,
        historyLength: run.historyLength ?? 20, taskQueue: 'q1', raw: { pendingActivities: run.pending ?? [] }, memo: run.memo ?? {},
        typedSearchAttributes: { get: (key: { name: string }) => run.attributes?.[key.name] },
      };
    },
    query: async () => {
      if (run?.hangs) {
        const wait = deadline === undefined ? 30_000 : Math.max(0, deadline - Date.now());
        const q = new Promise<never>((_, reject) => { setTimeout(() => reject(new Error('deadline exceeded')), wait); });
        pendingQueries.add(q);
        return q.finally(() => pendingQueries.delete(q));
      }
      if (!run?.progress) throw new Error('no worker polls the task queue');
      return run.progress;
    },
    result: async () => {
      const r = runId ? results[runId] : undefined;
      if (r) return r;
      if (run?.failure) throw run.failure;
      return run?.result;
    },
    fetchHistory: async () => ({ events: [] }),
    cancel: async () => void calls.push(`cancel ${id} ${runId}`),
    terminate: async (reason?: string) => void calls.push(`terminate ${id} ${runId}: ${reason}`),
    executeUpdate: async (def: string | { name: string }, options: { args: unknown[] }) => {
      const name = typeof def === 'string' ? def : def.name;
      calls.push(`update ${name} ${id} ${runId} ${JSON.stringify(options.args)}`);
      return run?.update?.(name, options.args);
    },
  });
  const list = (options: { query: string }) => {
    calls.push(`list ${options.query}`);
    return (async function* () {
      for (const r of runs) yield r;
    })();
  };
  // As Client.withDeadline: the calls made in fn end at the deadline.
  const withDeadline = async <R>(at: number | Date, fn: () => Promise<R>): Promise<R> => {
    deadline = +at;
    calls.push('withDeadline');
    try {
      return await fn();
    } finally {
      deadline = undefined;
    }
  };
  return async () => ({ workflow: { getHandle: handle, list }, withDeadline }) as unknown as Client;
}

