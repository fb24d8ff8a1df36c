/**
 * The shapes that cross the workflow boundary: the run plan (workflow input), the activity inputs
 * and outputs, progress and the run report. All small and JSON: datasets travel as `DatasetRef`s.
 * Workflow code imports this module for types only.
 */
import type { PipelineSpec, StageName } from './pipeline/schema.js';
import type { ConnectionSpec } from './connect/connections.js';
import type { DatasetRef } from './staging/store.js';

export type { DatasetRef };

/** The workflow input: a validated pipeline; secrets are still `${env:…}` references. */
export type RunPlan = {
  pipeline: string;
  file: string;
  spec: PipelineSpec;
  connections: Record<string, ConnectionSpec>;
  params: Record<string, string>;
};

export type IngestInput = { plan: RunPlan; dataset: string };
/** `extra`: datasets the source produced besides its own, such as `<dataset>_rejects`. */
export type IngestOutput = { ref: DatasetRef; detail: string; extra?: DatasetRef[] };

export type TransformInput = { plan: RunPlan; stage: 'standardize' | 'preprocess'; inputs: Record<string, DatasetRef> };
export type TransformOutput = { datasets: Record<string, DatasetRef> };

/** `runStartedAt`: when the run began (workflow time), so time-based names are the same on every retry. */
export type DeliverInput = { plan: RunPlan; sink: string; input: DatasetRef; runStartedAt: string };
export type DeliverOutput = { sink: string; type: string; target: string; rows: number; detail?: string };

export type StageStatus = 'pending' | 'running' | 'completed' | 'failed' | 'skipped';

export type DatasetSummary = { dataset: string; rows: number; columns: number; uri: string };

export type StageReport = {
  stage: StageName;
  status: StageStatus;
  startedAt?: string;
  finishedAt?: string;
  durationMs?: number;
  datasets: DatasetSummary[];
  error?: string;
};

/** What the `progress` query returns while a run is going, and the workflow returns at the end. */
export type RunReport = {
  pipeline: string;
  workflowId: string;
  status: 'running' | 'completed' | 'failed';
  stage: StageName | 'done';
  startedAt: string;
  finishedAt?: string;
  durationMs?: number;
  stages: StageReport[];
  sinks: DeliverOutput[];
  error?: string;
};
