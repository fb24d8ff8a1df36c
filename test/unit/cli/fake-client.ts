/** A fake Temporal client for CLI tests: one run (or none), a list of runs, and a record of what was asked. */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { RunReport } from '../../../src/run.js';

export const payload = (v: unknown) => ({ payloads: [{ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from(JSON.stringify(v)) }] });

export type FakeRun = {
  status: string; historyLength?: number; pending?: unknown[]; progress?: RunReport; memo?: Record<string, unknown>; failure?: unknown; result?: unknown;
  attributes?: Record<string, string>; closeTime?: Date;
};

/**
 * A client whose one run is `run` and whose list is `runs`; `calls` records what was asked of it
 * (list queries, cancel, terminate); `results` are the results of listed runs by run id.
 */
export function fakeClient(run: FakeRun | undefined, calls: string[] = [], runs: unknown[] = [], results: Record<string, unknown> = {}): () => Promise<Client> {
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
  });
  const list = (options: { query: string }) => {
    calls.push(`list ${options.query}`);
    return (async function* () {
      for (const r of runs) yield r;
    })();
  };
  return async () => ({ workflow: { getHandle: handle, list } }) as unknown as Client;
}

