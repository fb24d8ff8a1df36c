/**
 * The runs Temporal still has open (running, or waiting at a quality gate), as staging-store run
 * folders: `ferry prune` must never delete what such a run will still read or deliver.
 */
import type { Client } from '@temporalio/client';
import { safeSegment } from '../staging/store.js';

/** Run folders are `<pipeline>/<workflow id as one segment>`: matched by that segment in any pipeline. */
export async function openRunSegments(client: Client): Promise<Set<string>> {
  const open = new Set<string>();
  for await (const wf of client.workflow.list({ query: `WorkflowType = 'pipeline' AND ExecutionStatus = 'Running'` })) {
    open.add(safeSegment(wf.workflowId));
  }
  return open;
}
