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
import type { SourcePart } from '../activities/adapter.js';
import type { IncrementalWindow } from './pipeline/incremental.js';
import type { QualitySpec, DecisionKind } from './quality/schema.js';
import type { OnFail } from './quality/rule.js';

export type { DatasetRef };

/** The workflow input: a validated pipeline; secrets are still `${env:…}` references. */
export type RunPlan = {
  pipeline: string;
  file: string;
  spec: PipelineSpec;
  connections: Record<string, ConnectionSpec>;
  params: Record<string, string>;
  /**
   * What the client knows of the logical run. A manual run sets both (`ferry run --date`, default
   * now); a schedule's plan sets neither: the workflow takes Temporal's scheduled start time, so
   * the date is resolved when the run happens, never frozen when the schedule was deployed.
   */
  run?: { time?: string; trigger?: RunTrigger };
  /** sha256 of the pipeline file as the client read it (the audit record). */
  fileSha256?: string;
  /** Set by `ferry retry`: what the failed or cancelled run of the same id already did. */
  resume?: RunResume;
};

/** Who started a run: `ferry run`, a Temporal Schedule, another program (src/client.ts), `ferry retry`. */
export const RUN_TRIGGERS = ['cli', 'schedule', 'client', 'retry'] as const;
export type RunTrigger = (typeof RUN_TRIGGERS)[number];

/**
 * The logical run, as every activity and the report see it. `time` is the instant the run is for
 * (a schedule's nominal time, `--date`, or when a manual run started); `date` is that instant's
 * calendar day in `timezone` (the schedule's, else UTC). `key` is the workflow id: load records,
 * Idempotency-Keys and `{run_id}` derive from it, so a re-run of the same logical run delivers
 * nothing twice. Pipelines read it as `${run.date}`, `${run.time}`, `${run.id}` and `{run_date}`,
 * `{run_time}`, `{run_id}` (src/pipeline/run-refs.ts).
 */
export type RunContext = { key: string; time: string; date: string; timezone: string; trigger: RunTrigger };

/**
 * What a retried run takes over from the previous run of the same logical run: its staged outputs
 * (reused when their sha256 still matches) and the sinks it completed (not delivered again).
 */
export type RunResume = {
  /** The Temporal run id of the run being retried. */
  fromRunId: string;
  /**
   * The first run of this chain of retries (the run `fromRunId` itself retried, and so on): what a
   * retry continues. Sinks and checkpoints are keyed by it, so a retry never replaces what the runs
   * it continues delivered, while a new run of the same logical run does (docs/run-dates.md).
   */
  generation?: string;
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
  run: RunContext;
  dataset: string;
  source: SourceSpec;
  connections: Record<string, ConnectionSpec>;
  /** settings.stall_timeout, e.g. `5m`. */
  stallTimeout?: string;
  /** Set on a `ferry retry`: the run whose work this one continues (RunResume.generation). */
  continues?: string;
  /** Fan-out: the part this activity reads (see SourceAdapter.parts); its checkpoint is its own. */
  part?: SourcePart;
  /** `for_each`: the staged datasets this source takes its requests from. */
  parents?: Record<string, DatasetRef>;
  /** A rate-limited connection: at most this many requests in this activity (see SourceContext.requestBudget). */
  requestBudget?: number;
};
/**
 * `extra`: datasets the source produced besides its own, such as `<dataset>_rejects` or child
 * tables. `window`: `incremental:` only — the window read and the candidate watermark (`to`: the
 * greatest cursor value of the rows staged), committed only after every sink has committed.
 */
export type IngestOutput = { ref: DatasetRef; detail: string; extra?: DatasetRef[]; window?: WatermarkCandidate };
/** A rate-limited source that has more requests to make: nothing is staged yet, call again. */
export type IngestPending = { pending: true; detail: string };
export type IngestResult = IngestOutput | IngestPending;

/** What an incremental source read and the watermark its rows would move to (absent `to`: no rows). */
export type WatermarkCandidate = IncrementalWindow & { to?: string };

/** Fan-out: the parts a source splits into, planned once (one activity) before they are read. */
export type PlanPartsInput = IngestInput;
export type PlanPartsOutput = { parts: SourcePart[] | null; window?: IncrementalWindow };
/** Fan-out: the staged parts of one source, made one dataset (and its window) again. */
export type CombinePartsInput = { pipeline: string; run: RunContext; dataset: string; source: SourceSpec; parts: IngestOutput[] };

/** After every sink committed: move the watermarks of the run's incremental sources. */
export type CommitWatermarksInput = { pipeline: string; run: RunContext; windows: Record<string, WatermarkCandidate> };
export type CommitWatermarksOutput = { committed: Record<string, { from?: string; to: string } | { unchanged: string }> };

export type TransformInput = { pipeline: string; run: RunContext; stage: 'standardize' | 'preprocess'; steps: StepSpec[]; inputs: Record<string, DatasetRef> };
export type TransformOutput = { datasets: Record<string, DatasetRef> };

/** `runStartedAt`: when the run began (workflow time), so time-based names are the same on every retry. */
export type DeliverInput = {
  pipeline: string;
  run: RunContext;
  sink: string;
  spec: SinkSpec;
  connections: Record<string, ConnectionSpec>;
  input: DatasetRef;
  runStartedAt: string;
  stallTimeout?: string;
  /** Set on a `ferry retry`: the run whose deliveries this one continues (RunResume.generation). */
  continues?: string;
  /** A rate-limited connection: at most this many requests in this activity (see SinkContext.batchBudget). */
  batchBudget?: number;
};
export type DeliverOutput = { sink: string; type: string; target: string; rows: number; detail?: string };
/** The batch budget ran out with batches left to send: call again (the sink's checkpoint says where it is). */
export type DeliverPending = { pending: true; sink: string; detail: string };
export type DeliverResult = DeliverOutput | DeliverPending;

/*
 * Govern: the quality stage, the human gate, the run's record (report.json and the catalog).
 */

/** One column's statistics in a dataset profile; `distinct` approximate (HyperLogLog); min and max as text for non-numeric columns. */
export type ColumnProfile = { name: string; type: string; nulls: number; null_ratio: number; distinct: number; mean?: number; min?: number | string; max?: number | string };
/** What Ferry keeps of every dataset of every run (the catalog), and what anomaly rules compare. */
export type DatasetProfile = { rows: number; columns: ColumnProfile[] };

/** `inputs`: every dataset the run has after preprocess. */
export type QualityInput = { pipeline: string; run: RunContext; spec: QualitySpec; inputs: Record<string, DatasetRef> };

/** One rule, checked. Row rules count rows (`checked`, `failed`); table rules say `value`/`expected`. */
export type RuleOutcome = {
  name: string;
  rule: string;
  dataset: string;
  kind: 'row' | 'table';
  severity: 'error' | 'warn';
  /** The effective on_fail (the rule's, else quality.on_fail). */
  onFail: OnFail;
  status: 'passed' | 'failed' | 'not evaluated';
  checked?: number;
  failed?: number;
  /** The threshold the rule was held to, in words ("mostly 0.995", "at most 10 rows", "none"). */
  threshold?: string;
  /** One line for people: "3 of 1,000 rows have NULL in id (0.30%; allowed 0.50%)". */
  message: string;
  value?: number;
  expected?: string;
  columns?: string[];
  /** Up to quality.samples violating rows, values as text (NULL as null), with `_reason`. */
  samples?: Record<string, string | null>[];
};

/**
 * `split`: for every dataset that has a row rule whose on_fail is quarantine or ask, the dataset in
 * two — `kept` (rows that broke no such rule that failed) and `rejects` (`<dataset>_rejects`: the
 * others, each with `_rule` and `_reason`); kept.rows + rejects.rows = the input's rows, exactly.
 * When no such rule failed, rejects has 0 rows (a sink reading it always has a dataset).
 * `profiles`: every input dataset's profile.
 */
export type QualityOutput = {
  outcomes: RuleOutcome[];
  profiles: Record<string, DatasetProfile>;
  split: Record<string, { kept: DatasetRef; rejects: DatasetRef }>;
};

/** What the quality stage's outcomes mean for the run (src/quality/verdict.ts). */
export type Verdict = 'pass' | 'fail' | 'quarantine' | 'ask';

/** A person's decision on a run waiting at the quality gate (or the default, when the wait timed out). */
export type Decision = { decision: DecisionKind; by: string; at: string; comment?: string; timedOut?: boolean };

/** A run waiting for a decision: since when, until when, and what happens then. */
export type GateState = { askedAt: string; deadline?: string; default: DecisionKind; rules: string[] };

/** Where a run came from, kept with its report (no secrets: params are the pipeline's plain values). */
export type RunAudit = { trigger: RunTrigger; file: string; pipelineSha256?: string; params: Record<string, string>; workflowId: string; runId: string };

/** After the run (completed or not): write report.json beside the staged data and record the catalog. */
export type FinishRunInput = {
  pipeline: string;
  run: RunContext;
  report: RunReport;
  /** Every staged dataset of the run by stage, final ones last. */
  staged: { stage: StageName; ref: DatasetRef }[];
  profiles: Record<string, DatasetProfile>;
  /** What lineage is worked out from (src/catalog/lineage.ts): each source's type, and the steps. */
  graph: { sources: Record<string, string>; standardize: StepSpec[]; preprocess: StepSpec[] };
  /**
   * Retention (src/catalog/prune.ts): `keep` versions per dataset (settings.catalog.keep), and the
   * versions `type: catalog` sources name explicitly (never pruned). Absent in runs before it.
   */
  catalog?: { keep?: number; reads: { pipeline?: string; dataset: string; version: string }[] };
};
export type FinishRunOutput = { reportUri: string; versions: Record<string, string> };

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

/** `schema`: the dataset's columns, names and types (`ferry viz` shows them); absent in reports recorded before it. */
export type DatasetSummary = { dataset: string; rows: number; columns: number; uri: string; schema?: DatasetRef['columns'] };

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
  description?: string;
  workflowId: string;
  run: RunContext;
  status: 'running' | 'waiting' | 'completed' | 'failed' | 'cancelled';
  stage: StageName | 'done';
  startedAt: string;
  finishedAt?: string;
  durationMs?: number;
  stages: StageReport[];
  /** Every sink's outcome, in the pipeline's order (filled in as the deliver stage goes). */
  sinks: SinkOutcome[];
  /** Set on a `ferry retry`: the run id whose staged data and delivered sinks this run took over. */
  resumedFrom?: string;
  /** `incremental:` sources: the watermark each moved to once every sink had committed (or kept). */
  watermarks?: CommitWatermarksOutput['committed'];
  /** The quality stage: every rule's outcome, and the verdict. */
  quality?: { verdict: Verdict; outcomes: RuleOutcome[] };
  /** Set while the run waits at the quality gate (status 'waiting'). */
  gate?: GateState;
  /** The decision made at the quality gate, and by whom. */
  decision?: Decision;
  /** Trigger, pipeline file hash, parameters, workflow and run ids. */
  audit?: RunAudit;
  /** Where report.json was written, and the catalog version of each dataset (set when the run is recorded). */
  record?: FinishRunOutput;
  error?: string;
};
