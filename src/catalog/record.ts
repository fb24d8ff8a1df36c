/**
 * Records a run's datasets in the catalog (beside the staged data): version (the logical run),
 * location, schema, rows, checksum, profile and lineage of every staged dataset, and where each
 * sink delivered. Returns the version recorded per dataset.
 */
import type { StagingStore } from '../staging/store.js';
import type { FinishRunInput } from '../run.js';

export async function recordCatalog(_staging: StagingStore, _input: FinishRunInput, _workdir: string): Promise<Record<string, string>> {
  return {}; // the catalog work fills this in
}
