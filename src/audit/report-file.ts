/**
 * Writes a run's report as JSON beside its staged data (`<pipeline>/<workflowId>/report.json`):
 * the audit record of every run, failed ones included. Returns its URI.
 */
import type { StagingStore } from '../staging/store.js';
import type { FinishRunInput } from '../run.js';

export async function writeRunReport(_staging: StagingStore, _input: FinishRunInput, _workdir: string): Promise<string> {
  return ''; // the report work fills this in
}
