/**
 * `ferry retry <id>`: runs a failed or cancelled run again as the same logical run, from its staged
 * data, delivering only the sinks that did not complete.
 *
 *   const handle = await retryRun(client, 'retail-20261123T164750Z-huz6');
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import { ConfigError } from './errors.js';

export async function retryRun(_client: Client, workflowId: string): Promise<WorkflowHandle> {
  throw new ConfigError(`retry of ${workflowId}: not implemented yet`);
}
