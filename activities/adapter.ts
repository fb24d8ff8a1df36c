/**
 * The contract every source and sink adapter implements: a zod schema (its YAML shape, told apart
 * by `type`) and one function. Adapters are plain objects in the registries of
 * `sources/index.ts` and `sinks/index.ts`; adding one is one file and one line.
 *
 *   export const fileSource = {
 *     schema: z.strictObject({ type: z.literal('file'), path: z.string() }),
 *     async read(spec, ctx) { await readTableFile(ctx.table, ctx.dataset, spec.path, {}, { file: spec.path }); return { detail: spec.path }; },
 *   } satisfies SourceAdapter<…>;
 */
import type { z } from 'zod';
import type { TableEngine } from '../src/table/engine.js';
import type { ConnectionSpec, resolveConnection } from '../src/connect/connections.js';
import type { IncrementalWindow } from '../src/pipeline/incremental.js';
import type { RunContext } from '../src/run.js';
import type { StagingStore } from '../src/staging/store.js';

/** Progress that is heartbeated; the next attempt receives the last one as `resume`. */
/** `activity` (e.g. `ingest customers`) is filled in by the boundary, so progress views can name it. */
export type Progress = { activity?: string; rows?: number; page?: number; batch?: number; cursor?: unknown; note?: string };

type AdapterContext = {
  /** Working directory for temp files, removed after the activity. */
  workdir: string;
  table: TableEngine;
  /** Resolves a named connection on the worker (secrets from the environment). */
  connection: <K extends 'postgres' | 's3' | 'http'>(name: string, kind: K) => ReturnType<typeof resolveConnection<K>>;
  connections: Record<string, ConnectionSpec>;
  /** Records progress; it is heartbeated to Temporal and shown by `ferry status`. */
  progress: (p: Progress) => void;
  /** The last progress heartbeated by a previous attempt of this activity, if any. */
  resume: Progress | undefined;
  signal: AbortSignal;
  /**
   * The logical run: the workflow id (a manual run's `--id`, later a schedule's run date). Load
   * records, Idempotency-Keys and S3 keys derive from it, never from Temporal's run id, so a re-run
   * or `ferry retry` of the same logical run delivers nothing twice.
   */
  runKey: string;
  /**
   * The execution of the logical run this attempt belongs to: its Temporal run id, or on a
   * `ferry retry` the run the retry continues. Attempts of one execution (and its retries) share
   * it; a new run of the same logical run (`ferry run --date D` again, a backfill) has a new one, so
   * sinks can tell "retry: deliver nothing twice" from "run again: deliver the new data"
   * (docs/run-dates.md). Empty when unknown (the adapter then treats every earlier load as its own).
   */
  generation: string;
  /**
   * Durable scratch space in the staging store for this activity in this execution (`generation`):
   * what is saved here survives the worker, so the next attempt — or a `ferry retry` — resumes from
   * it instead of a throttled heartbeat; a new run of the same logical run starts afresh.
   */
  checkpoint: Checkpoint;
};

export type Checkpoint = {
  save(name: string, localFile: string): Promise<void>;
  /** Copies a saved part to a local file and returns its path. */
  restore(name: string): Promise<string>;
  /** The names saved so far by any attempt, sorted. */
  list(): Promise<string[]>;
};

export type SourceContext = AdapterContext & {
  /** The dataset to produce: the adapter creates a table of this name in `table`. */
  dataset: string;
  /**
   * Fan-out: the one part (from the adapter's `parts()`) this attempt reads — a key range of a
   * partitioned query, a batch of S3 objects. Undefined when the source is read whole.
   */
  part?: SourcePart;
  /**
   * Datasets this source takes its requests from (an http source's `for_each`), already opened in
   * `table` under their names.
   */
  parents: string[];
  /**
   * At most this many requests in this attempt (a rate-limited connection: the workflow drives the
   * source one request per activity, so the server-side task-queue rate limit holds for the whole
   * fleet). With more to fetch, the adapter saves its place in `checkpoint` and returns
   * `{ pending: true }`; the next call continues. Undefined: no limit.
   */
  requestBudget?: number;
  /** `incremental:`: the window to read (push it down when the service can; Ferry filters anyway). */
  window?: IncrementalWindow;
  /** The pipeline being run, and the worker's staging store (the `catalog` source reads earlier versions there). */
  pipeline: string;
  staging: StagingStore;
};

/** One part of a fanned-out source: small JSON, shown in the activity summary by its `name`. */
export type SourcePart = { name: string } & Record<string, unknown>;

export type SinkContext = AdapterContext & {
  /** The sink's name in the pipeline. */
  sink: string;
  /** The dataset to deliver, readable in `table` under this name. */
  dataset: string;
  rows: number;
  /** ISO time the run began: the same on every attempt, for time-based names. */
  runStartedAt: string;
  /** The logical run (its date and time name versions, e.g. the s3 sink's `versioned: true`). */
  run?: RunContext;
  /**
   * At most this many requests in this attempt (a sink on a rate-limited connection, driven one
   * request per activity like a source's `requestBudget`). With more to send, the adapter saves its
   * place in `checkpoint` and returns `{ pending: true }`; the next call continues. Undefined: no limit.
   */
  batchBudget?: number;
};

/**
 * `extra`: further datasets the source created in `table` (e.g. quarantined rows, child tables),
 * staged beside it. `pending`: the request budget ran out with more to fetch (nothing is staged).
 * `watermark`: the cursor's greatest value when it is not a column of the rows (s3 `key` or
 * `last_modified`), null when such a cursor found nothing new; otherwise Ferry computes it from the rows.
 */
export type SourceResult = { detail: string; extra?: string[]; pending?: boolean; watermark?: string | null };
export type SinkResult = { target: string; rows: number; detail?: string; pending?: boolean };

// The schema's input type may differ from its output (defaults), so both are left open here.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AdapterSchema<S> = z.ZodType<S, any>;

export type SourceAdapter<S> = {
  schema: AdapterSchema<S>;
  /** Connection kind this adapter needs, checked by `ferry validate`. */
  connectionKind?: 'postgres' | 's3' | 'http';
  read(spec: S, ctx: SourceContext): Promise<SourceResult>;
  /**
   * Fan-out: the parts to read, one activity each (the workflow runs them with bounded concurrency
   * and stages them as one dataset). Return undefined to read the source whole.
   */
  parts?(spec: S, ctx: SourceContext): Promise<SourcePart[] | undefined>;
};

export type SinkAdapter<S> = {
  schema: AdapterSchema<S>;
  connectionKind?: 'postgres' | 's3' | 'http';
  write(spec: S, ctx: SinkContext): Promise<SinkResult>;
};
