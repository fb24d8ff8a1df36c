/**
 * One run laid over a pipeline graph: each node's status, rows, columns, duration and error, from
 * the run report (rows and columns per staged dataset, each sink's outcome, stage timings), the
 * activities' own timings from history (sources and sinks), and what running activities last
 * heartbeated; the quality rules' results, the gate (a run waiting for a decision, and the
 * decision) and the catalog version of each dataset. Reports from before the quality stage have
 * none of these, and draw as they did. Pure: the server and `ferry viz` fetch, this only maps.
 *
 *   const run = runState(graph, { listing, report, activities, timings, url: workflowUrl(id) });
 *   run.nodes['sink:warehouse']   // { status: 'delivered', rows: 9, columns: [...], durationMs: 412 }
 */
import type { RunReport, StageReport, DatasetSummary, GateState, Decision, RunAudit, Verdict, RuleOutcome } from '../run.js';
import type { RunListing } from '../runs.js';
import type { Column } from '../table/engine.js';
import type { VizGraph, VizNode } from './model.js';
import type { ActivityTiming } from './timings.js';
import { qualityState, splitDatasetState, type RuleResult } from './quality.js';

export type NodeRun = {
  status: string;
  rows?: number;
  columns?: Column[];
  durationMs?: number;
  /** What `durationMs` measures: the node's own activity, or its whole stage (a transform runs a stage's steps together). */
  durationOf?: 'activity' | 'stage';
  attempts?: number;
  error?: string;
  detail?: string;
  /** What the running activity last heartbeated ("page 2 · 8 rows"). */
  live?: string;
  /** The catalog version of the dataset it holds (or, for a sink, delivers): report.record.versions. */
  version?: string;
  /** A quality node: each rule's result, in one line ("1 failed · 2 ok"), and the gate's word on it. */
  rules?: RuleResult[];
  checks?: string;
  gate?: string;
};

export type VizRun = {
  workflowId: string;
  runId?: string;
  pipeline?: string;
  status: string;
  stage?: string;
  runDate?: string;
  trigger?: string;
  startedAt?: string;
  finishedAt?: string;
  durationMs?: number;
  /** The run in the Temporal UI. */
  url: string;
  error?: string;
  rowsDelivered?: number;
  resumedFrom?: string;
  /** False when no report could be read (a terminated run, or a running one no worker answers for). */
  reported: boolean;
  nodes: Record<string, NodeRun>;
  /** Running activities' last heartbeats, one line each. */
  activities: string[];
  /** The quality stage's verdict and how many rules passed, failed, warned, could not be evaluated. */
  quality?: { verdict: Verdict; passed: number; failed: number; warned: number; notEvaluated: number };
  /** While the run waits at the quality gate: since when, until when, the rules that asked, and the commands that decide. */
  gate?: GateState & { commands: string[] };
  decision?: Decision;
  audit?: RunAudit;
  /** Where report.json was written. */
  reportUri?: string;
  /** The catalog version of each dataset the run recorded. */
  versions?: Record<string, string>;
};

export type RunInput = { listing: RunListing; report?: RunReport; activities?: string[]; timings?: ActivityTiming[]; url: string };

export function runState(graph: VizGraph, input: RunInput): VizRun {
  const { listing, report, activities = [], timings = [], url } = input;
  const nodes: Record<string, NodeRun> = {};
  const stages = new Map((report?.stages ?? []).map((s) => [s.stage, s]));
  const live = liveLines(activities);
  const timing = new Map(timings.map((t) => [t.activity, t]));

  for (const node of graph.nodes) {
    const stage = stages.get(node.stage);
    let state: NodeRun;
    // A stage the report does not have (the quality stage, in a report from before it) was not part of the run.
    if (!report || !stage) state = { status: !report ? listing.status : report.status === 'running' || report.status === 'waiting' ? 'pending' : 'not run' };
    else if (node.kind === 'sink') state = sinkState(node, report, stage);
    else if (node.kind === 'step') state = stepState(node, stage);
    else if (node.kind === 'quality') state = qualityState(node, report, stage);
    else state = (node.stage === 'quality' ? splitDatasetState(node, report, stage) : undefined) ?? datasetState(node, stage);
    const version = node.dataset !== undefined && node.kind !== 'quality' ? report?.record?.versions[node.dataset] : undefined;
    if (version) state.version = version;
    const own = node.kind === 'source' ? timing.get(`ingest ${node.name}`) : node.kind === 'sink' ? timing.get(`deliver ${node.name}`) : undefined;
    if (own) {
      if (own.durationMs !== undefined) Object.assign(state, { durationMs: own.durationMs, durationOf: 'activity' });
      if (own.attempts > 1) state.attempts = own.attempts;
      if (state.status === 'pending' && !own.closed) state.status = 'running';
    }
    const beat = live.get(node.kind === 'source' ? `ingest ${node.name}` : node.kind === 'sink' ? `deliver ${node.name}` : node.kind === 'step' || node.kind === 'quality' ? node.stage : '');
    if (beat !== undefined && (state.status === 'running' || state.status === 'pending')) Object.assign(state, { status: 'running', live: beat });
    nodes[node.id] = state;
  }

  const waiting = listing.status === 'running' && report?.status === 'waiting';
  const delivered = report?.sinks.filter((s) => s.status === 'delivered' && s.rows !== undefined) ?? [];
  return {
    workflowId: listing.workflowId,
    runId: listing.runId,
    ...(listing.pipeline ?? report?.pipeline ? { pipeline: listing.pipeline ?? report?.pipeline } : {}),
    // Temporal's status wins: a run terminated mid-way still has a report that says "running". To
    // Temporal a run waiting for a decision is running; its report says it waits.
    status: listing.status === 'completed' && report ? report.status : waiting ? 'waiting' : listing.status,
    ...(report ? { stage: report.stage } : {}),
    ...(report?.run.date ?? listing.runDate ? { runDate: report?.run.date ?? listing.runDate } : {}),
    ...(report?.run.trigger ?? listing.trigger ? { trigger: report?.run.trigger ?? listing.trigger } : {}),
    startedAt: report?.startedAt ?? listing.startTime.toISOString(),
    ...(report?.finishedAt ?? listing.closeTime ? { finishedAt: report?.finishedAt ?? listing.closeTime?.toISOString() } : {}),
    ...(report?.durationMs ?? listing.durationMs ? { durationMs: report?.durationMs ?? listing.durationMs } : {}),
    url,
    ...(report?.error ? { error: report.error } : {}),
    ...(delivered.length ? { rowsDelivered: delivered.reduce((n, s) => n + (s.rows ?? 0), 0) } : {}),
    ...(report?.resumedFrom ? { resumedFrom: report.resumedFrom } : {}),
    reported: !!report,
    nodes,
    activities,
    ...(report ? governed(report, waiting) : {}),
  };
}

/** The quality verdict and counts, the gate (only while the run waits), the decision, the audit and the record. */
function governed(report: RunReport, waiting: boolean): Partial<VizRun> {
  const out: Partial<VizRun> = {};
  if (report.quality) {
    const n = (f: (o: RuleOutcome) => boolean) => report.quality!.outcomes.filter(f).length;
    out.quality = {
      verdict: report.quality.verdict,
      passed: n((o) => o.status === 'passed'),
      failed: n((o) => o.status === 'failed' && o.severity === 'error'),
      warned: n((o) => o.status === 'failed' && o.severity === 'warn'),
      notEvaluated: n((o) => o.status === 'not evaluated'),
    };
  }
  if (waiting && report.gate) out.gate = { ...report.gate, commands: ['approve', 'reject', 'quarantine'].map((d) => `ferry ${d} ${report.workflowId}`) };
  if (report.decision) out.decision = report.decision;
  if (report.audit) out.audit = report.audit;
  if (report.record) {
    out.reportUri = report.record.reportUri;
    out.versions = report.record.versions;
  }
  return out;
}

const ENDED = new Set(['failed', 'cancelled']);

/** A source or a staged dataset: its row count once its stage staged it. */
function datasetState(node: VizNode, stage: StageReport): NodeRun {
  const d = stage.datasets.find((x) => x.dataset === node.dataset);
  if (d) return { status: stage.status === 'reused' ? 'reused' : 'completed', ...counts(d) };
  if (ENDED.has(stage.status)) {
    // An ingest failure names its dataset ("stage ingest, dataset customers, GET …").
    const mine = node.kind === 'source' && stage.error && new RegExp(`\\bdataset ${escapeRegExp(node.name)}\\b`).test(stage.error);
    return mine ? { status: 'failed', error: stage.error } : { status: stage.status === 'cancelled' ? 'cancelled' : 'stopped' };
  }
  if (stage.status === 'completed' || stage.status === 'reused') return { status: 'not staged' };
  return { status: stage.status };
}

/** A step: its stage's status and duration (one transform runs them all); a failure names its step (`standardize[3] (join)`). */
function stepState(node: VizNode, stage: StageReport): NodeRun {
  const index = Number(node.id.split(':')[2]);
  const timing = stage.durationMs !== undefined ? { durationMs: stage.durationMs, durationOf: 'stage' as const } : {};
  if (!ENDED.has(stage.status) || !stage.error) return { status: stage.status, ...timing, ...(stage.error ? { error: stage.error } : {}) };
  const failed = /\b(standardize|preprocess)\[(\d+)\]/.exec(stage.error);
  if (!failed || failed[1] !== node.stage) return { status: stage.status, error: stage.error, ...timing };
  const at = Number(failed[2]);
  if (index < at) return { status: 'completed' };
  if (index > at) return { status: 'not started' };
  return { status: stage.status, error: stage.error, ...timing };
}

function sinkState(node: VizNode, report: RunReport, stage: StageReport): NodeRun {
  const outcome = report.sinks.find((s) => s.sink === node.name);
  const input = stage.datasets.find((d) => d.dataset === `${node.dataset} → ${node.name}`);
  const status = outcome?.status === 'not started' && stage.status === 'running' ? 'running' : (outcome?.status ?? stage.status);
  return {
    status,
    ...(outcome?.rows !== undefined ? { rows: outcome.rows } : {}),
    ...(input?.schema ? { columns: input.schema } : {}),
    ...(outcome?.error ? { error: outcome.error } : {}),
    ...(outcome ? { detail: [outcome.target, outcome.detail].filter(Boolean).join(' · ') } : {}),
  };
}

const counts = (d: DatasetSummary): Pick<NodeRun, 'rows' | 'columns'> => ({ rows: d.rows, ...(d.schema ? { columns: d.schema } : {}) });

/** "ingest customers (attempt 2): page 2 · 8 rows" → ingest customers ⇒ "page 2 · 8 rows (attempt 2)". */
export function liveLines(lines: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of lines) {
    const m = /^((?:ingest|deliver) [^\s:(]+|standardize|preprocess|quality)( \(attempt \d+\))?: (.*)$/.exec(line);
    if (m) out.set(m[1]!, `${m[3]}${m[2] ?? ''}`);
  }
  return out;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
