/**
 * What Temporal says of runs, for retention (prune.ts): the running (or waiting: a run waiting at
 * the quality gate is a running workflow) runs of a pipeline, from visibility, and whether one run
 * is running. Built from the worker's client, which activities get through their context.
 *
 *   const live = liveRunsOf(Context.current().client);
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { runQuery } from '../run-filter.js';
import type { LiveRuns } from './prune.js';

export function liveRunsOf(client: Client): LiveRuns {
  return {
    async running(pipeline) {
      const keys: string[] = [];
      for await (const wf of client.workflow.list({ query: runQuery({ pipeline, status: 'running' }) })) keys.push(wf.workflowId);
      return keys;
    },
    async isRunning(key) {
      try {
        return (await client.workflow.getHandle(key).describe()).status.name === 'RUNNING';
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return false;
        throw err;
      }
    },
  };
}
