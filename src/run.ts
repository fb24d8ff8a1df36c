/**
 * The shapes that cross the workflow boundary: the run plan (workflow input), the activity inputs
 * and outputs, progress and the run report. All small and JSON: datasets travel as `DatasetRef`s.
 * Workflow code imports this module for types only.
 */
import type { PipelineSpec, StageName } from './pipeline/schema.js';
import type { ConnectionSpec } from './connect/connections.js';
import type { DatasetRef } from './staging/store.js';
import type { SourceSpec } from '../activities/sources/index.js';
import type { SinkSpec } from '../activities/sinks/index.js';
import type { StepSpec } from './table/steps/index.js';

export type { DatasetRef };

/** The workflow input: a validated pipeline; secrets are still `${env:…}` references. */
export type RunPlan = {
  pipeline: string;
  file: string;
  spec: PipelineSpec;
  connections: Record<string, ConnectionSpec>;
  params: Record<string, string>;
  /** Set by `ferry retry`: what the failed or cancelled run of the same id already did. */
  resume?: RunResume;
};

/**
 * What a retried run takes over from the previous run of the same logical run: its staged outputs
 * (reused when their sha256 still matches) and the sinks it completed (not delivered again).
 */
export type RunResume = {
  /** The Temporal run id of the run being retried. */
  fromRunId: string;
  ingest: Record<string, IngestOutput>;
  standardize?: TransformOutput;
  preprocess?: TransformOutput;
  delivered: Record<string, DeliverOutput>;
};

/*
 * Activity inputs are slices of the plan: an activity gets its own source or sink spec, the
 * connections it names and its stage's steps, never the whole plan (history stays small, and an
 * activity sees nothing it does not use). Activities re-validate their slice.
 */

export type IngestInput = {
  pipeline: string;
  dataset: string;
  source: SourceSpec;
  connections: Record<string, ConnectionSpec>;
  /** settings.stall_timeout, e.g. `5m`. */
  stallTimeout?: string;
};
/** `extra`: datasets the source produced besides its own, such as `<dataset>_rejects`. */
export type IngestOutput = { ref: DatasetRef; detail: string; extra?: DatasetRef[] };

export type TransformInput = { pipeline: string; stage: 'standardize' | 'preprocess'; steps: StepSpec[]; inputs: Record<string, DatasetRef> };
export type TransformOutput = { datasets: Record<string, DatasetRef> };

/** `runStartedAt`: when the run began (workflow time), so time-based names are the same on every retry. */
export type DeliverInput = {
  pipeline: string;
  sink: string;
  spec: SinkSpec;
  connections: Record<string, ConnectionSpec>;
  input: DatasetRef;
  runStartedAt: string;
  stallTimeout?: string;
};
export type DeliverOutput = { sink: string; type: string; target: string; rows: number; detail?: string };

/** Staged datasets to check before reuse (`ferry retry`); returns the URIs whose file is there with the same sha256. */
export type VerifyInput = { refs: DatasetRef[] };
export type VerifyOutput = { verified: string[] };

/**
 * What happened to one sink in a run: delivered (rows and target), failed (its error), not started
 * (the run stopped before it), or already delivered by the run being retried.
 */
export type SinkOutcome = {
  sink: string;
  type: string;
  status: 'delivered' | 'failed' | 'not started' | 'cancelled';
  target: string;
  rows?: number;
  detail?: string;
  error?: string;
};

export type StageStatus = 'pending' | 'running' | 'completed' | 'failed' | 'cancelled' | 'skipped' | 'reused';

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
  status: 'running' | 'completed' | 'failed' | 'cancelled';
  stage: StageName | 'done';
  startedAt: string;
  finishedAt?: string;
  durationMs?: number;
  stages: StageReport[];
  /** Every sink's outcome, in the pipeline's order (filled in as the deliver stage goes). */
  sinks: SinkOutcome[];
  /** Set on a `ferry retry`: the run id whose staged data and delivered sinks this run took over. */
  resumedFrom?: string;
  error?: string;
};
