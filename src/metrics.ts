/**
 * Ferry's Prometheus metrics, defined in one place: names, kinds, units, help texts, label sets and
 * histogram buckets, plus the few functions that record them. They are recorded through the
 * Temporal SDK's metric meter (an activity's `Context.current().metricMeter`, the workflow's
 * `metricMeter`), so `ferry worker --metrics ADDR` serves them on the same endpoint as the SDK's
 * own worker metrics. Without `--metrics` the SDK's meter is a no-op and recording costs nothing.
 *
 * Labels carry bounded values only: pipeline, stage, dataset, sink, outcome, error code, status —
 * never a workflow id, run id or run date (one time series per run would grow without end).
 *
 * Pure code without imports of its own (types only): the workflow bundle imports it too.
 *
 *   recordAttempt(Context.current().metricMeter, { pipeline: 'retail', stage: 'ingest', dataset: 'sales' }, 'completed', 1.2);
 *   recordStage(metricMeter, 'retail', 'ingest', 'completed', 3.4);   // workflow code
 */
import type { MetricMeter, MetricTags } from '@temporalio/common';

type Definition = { name: string; unit: string; help: string; labels: readonly string[] };

/** Every Ferry metric, as the exporter shows it (the SDK adds no prefix or suffix to these names). */
export const METRICS = {
  rows: {
    name: 'ferry_rows_total',
    unit: '{row}',
    help: 'Rows an activity attempt staged (ingest, standardize, preprocess: per dataset) or delivered (deliver: per sink)',
    labels: ['pipeline', 'stage', 'dataset', 'sink'],
  },
  bytes: {
    name: 'ferry_bytes_total',
    unit: 'By',
    help: 'Bytes of Parquet an activity attempt wrote to the staging store, per dataset',
    labels: ['pipeline', 'stage', 'dataset'],
  },
  quarantined: {
    name: 'ferry_quarantined_rows_total',
    unit: '{row}',
    help: 'Rows a source set aside under on_error: quarantine (staged as <dataset>_rejects) instead of failing the run',
    labels: ['pipeline', 'dataset'],
  },
  attempts: {
    name: 'ferry_activity_attempts_total',
    unit: '{attempt}',
    help: 'Finished activity attempts by outcome (completed, retrying, failed, cancelled) and failure type',
    labels: ['pipeline', 'stage', 'dataset', 'sink', 'outcome', 'error_code'],
  },
  attemptDuration: {
    name: 'ferry_activity_attempt_duration_seconds',
    unit: 's',
    help: 'How long finished activity attempts took, by outcome',
    labels: ['pipeline', 'stage', 'dataset', 'sink', 'outcome'],
  },
  stageDuration: {
    name: 'ferry_stage_duration_seconds',
    unit: 's',
    help: 'Wall time of a run stage from its start to its end, retries and their waits included (workflow time)',
    labels: ['pipeline', 'stage', 'status'],
  },
  runs: {
    name: 'ferry_runs_total',
    unit: '{run}',
    help: 'Runs that finished on this worker, by status (completed, failed, cancelled)',
    labels: ['pipeline', 'status'],
  },
} as const satisfies Record<string, Definition>;

/**
 * Bucket bounds of Ferry's histograms (the exporter's default, 50 … 10000, is meant for
 * milliseconds). Stages and attempts run from a fraction of a second to hours.
 */
export const HISTOGRAM_BUCKETS: Record<string, number[]> = {
  [METRICS.attemptDuration.name]: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200],
  [METRICS.stageDuration.name]: [0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 14400, 43200],
};

/**
 * What an attempt ended with. `retrying`: it failed and Temporal runs it again; `failed`: it failed
 * for good (the failure is not retryable, or it was the last attempt the retry policy allows).
 */
export type AttemptOutcome = 'completed' | 'retrying' | 'failed' | 'cancelled';

/** Where an activity attempt belongs: the labels every metric of the attempt carries. */
export type AttemptLabels = { pipeline?: string; stage: string; dataset?: string; sink?: string };

/** Labels without the unset ones (an unset label and an empty one are the same series to Prometheus). */
function tags(labels: Record<string, string | undefined>): MetricTags {
  const out: MetricTags = {};
  for (const [key, value] of Object.entries(labels)) if (value !== undefined && value !== '') out[key] = value;
  return out;
}

const counter = (meter: MetricMeter, d: Definition) => meter.createCounter(d.name, d.unit, d.help);
const seconds = (meter: MetricMeter, d: Definition) => meter.createHistogram(d.name, 'float', d.unit, d.help);

/** One finished activity attempt: its outcome, failure type (CONFIG, TRANSIENT, …) and duration. */
export function recordAttempt(meter: MetricMeter, at: AttemptLabels, outcome: AttemptOutcome, durationSeconds: number, errorCode?: string): void {
  const where = { pipeline: at.pipeline, stage: at.stage, dataset: at.dataset, sink: at.sink };
  counter(meter, METRICS.attempts).add(1, tags({ ...where, outcome, error_code: errorCode }));
  seconds(meter, METRICS.attemptDuration).record(Math.max(0, durationSeconds), tags({ ...where, outcome }));
}

/** A staged dataset, as an activity's output carries it (a DatasetRef, structurally). */
type Staged = { dataset: string; rows: number; bytes: number };

/**
 * The rows and bytes of a completed attempt, read from its output: an ingest's dataset and its
 * extra datasets (a quarantine's `<dataset>_rejects` also counts as quarantined rows), every
 * dataset a transform wrote, the rows a sink delivered.
 */
export function recordOutput(meter: MetricMeter, at: AttemptLabels, output: unknown): void {
  const o = (output ?? {}) as { ref?: Staged; extra?: Staged[]; datasets?: Record<string, Staged>; sink?: string; rows?: number };
  const staged = (ref: Staged) => {
    const labels = tags({ pipeline: at.pipeline, stage: at.stage, dataset: ref.dataset });
    counter(meter, METRICS.rows).add(ref.rows, labels);
    counter(meter, METRICS.bytes).add(ref.bytes, labels);
  };
  if (at.stage === 'ingest' && o.ref) {
    staged(o.ref);
    for (const extra of o.extra ?? []) {
      staged(extra);
      if (extra.dataset === quarantineOf(o.ref.dataset)) counter(meter, METRICS.quarantined).add(extra.rows, tags({ pipeline: at.pipeline, dataset: o.ref.dataset }));
    }
  } else if ((at.stage === 'standardize' || at.stage === 'preprocess') && o.datasets) {
    for (const ref of Object.values(o.datasets)) staged(ref);
  } else if (at.stage === 'deliver' && typeof o.rows === 'number') {
    counter(meter, METRICS.rows).add(o.rows, tags({ pipeline: at.pipeline, stage: at.stage, dataset: at.dataset, sink: o.sink ?? at.sink }));
  }
}

/** The dataset that receives a source's quarantined rows (the same rule as rejectsOf in src/table/formats.ts). */
export const quarantineOf = (dataset: string): string => `${dataset}_rejects`;

/** A stage that ran (workflow code): its status and how long it took. Skipped stages are not recorded. */
export function recordStage(meter: MetricMeter, pipeline: string, stage: string, status: string, durationSeconds: number): void {
  seconds(meter, METRICS.stageDuration).record(Math.max(0, durationSeconds), tags({ pipeline, stage, status }));
}

/** A run that finished (workflow code). */
export function recordRun(meter: MetricMeter, pipeline: string, status: string): void {
  counter(meter, METRICS.runs).add(1, tags({ pipeline, status }));
}

/**
 * `--metrics` / FERRY_METRICS: the address the Prometheus endpoint listens on, `IP:PORT` with an
 * IPv4 address, `[IPv6]` or `localhost` (the exporter binds an IP address and looks no name up),
 * and a port from 1 to 65535. Returns it as the exporter takes it (localhost → 127.0.0.1), or
 * throws an Error saying what is expected.
 */
export function parseMetricsAddress(value: string): string {
  const expected = 'expected IP:PORT such as 127.0.0.1:9464, 0.0.0.0:9464, [::1]:9464 or localhost:9464';
  const m = /^(.*):(\d{1,5})$/.exec(value.trim());
  if (!m) throw new Error(expected);
  const [, host = '', portText = ''] = m;
  const port = Number(portText);
  if (port < 1 || port > 65535) throw new Error('expected a port from 1 to 65535');
  if (host === 'localhost') return `127.0.0.1:${port}`;
  const ipv4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (ipv4 && ipv4.slice(1).every((octet) => Number(octet) <= 255)) return `${host}:${port}`;
  if (/^\[[0-9a-fA-F:.]*:[0-9a-fA-F:.]*\]$/.test(host) && isIPv6(host.slice(1, -1))) return `${host}:${port}`;
  throw new Error(expected);
}

/** An IPv6 address in any of its textual forms (with `::`, or an IPv4 tail). */
function isIPv6(text: string): boolean {
  const halves = text.split('::');
  if (halves.length > 2) return false;
  const groups = (part: string) => (part === '' ? [] : part.split(':'));
  const all = halves.flatMap(groups);
  const tail = all.at(-1) ?? '';
  const v4Tail = /^\d{1,3}(\.\d{1,3}){3}$/.test(tail) && tail.split('.').every((o) => Number(o) <= 255);
  const hex = v4Tail ? all.slice(0, -1) : all;
  if (!hex.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return false;
  const count = hex.length + (v4Tail ? 2 : 0);
  return halves.length === 2 ? count < 8 : count === 8;
}
