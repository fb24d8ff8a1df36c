/** The run plan a validated pipeline becomes (the workflow input), and starting it. */
import type { LoadedPipeline } from '../pipeline/load.js';
import type { RunPlan } from '../run.js';

export { startRun } from '../client.js';

export const planOf = (loaded: LoadedPipeline): RunPlan => ({
  pipeline: loaded.spec.name,
  file: loaded.file,
  spec: loaded.spec,
  connections: loaded.connections,
  params: loaded.params,
  // The audit record: which bytes this run (or a schedule's every run) was started from.
  ...(loaded.sha256 ? { fileSha256: loaded.sha256 } : {}),
});
