/**
 * What a run's history says about it when the run left no report: a run terminated or timed out
 * (the workflow never got to keep its report), read from the events alone, no worker needed. The
 * plan comes from the start event, each activity's stage, dataset or sink from its input, rows
 * from its result, errors from its failure; an activity still in flight when the run stopped is
 * marked `terminated`.
 *
 *   const report = reportFromHistory(await handle.fetchHistory(), 'terminated');
 */
import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import type { DatasetRef, DeliverInput, DeliverOutput, IngestOutput, RunPlan, RunReport, SinkOutcome, StageReport, StageStatus, TransformInput, TransformOutput } from './run.js';
import type { StageName } from './pipeline/schema.js';
import { targetOf } from '../workflows/slices.js';

type History = temporal.api.history.v1.IHistory;
type Payloads = temporal.api.common.v1.IPayloads | null | undefined;
type Failure = temporal.api.failure.v1.IFailure | null | undefined;

const first = (p: Payloads): unknown => (p?.payloads?.[0] ? defaultPayloadConverter.fromPayload(p.payloads[0]) : undefined);
const iso = (t: { seconds?: unknown; nanos?: number | null } | null | undefined): string | undefined =>
  t?.seconds !== undefined && t.seconds !== null ? new Date(Number(t.seconds) * 1000 + Math.floor((t.nanos ?? 0) / 1e6)).toISOString() : undefined;

/** The innermost message of a failure chain: the one that names the cause. */
export function failureText(f: Failure): string | undefined {
  let message = f?.message ?? undefined;
  for (let c = f?.cause; c; c = c.cause) if (c.message) message = c.message;
  return message;
}

/** One activity of the run as its events tell it. */
export type ActivityFact = {
  type: string;
  summary?: string;
  stage?: StageName;
  /** The sink of a deliver, the dataset of an ingest. */
  subject?: string;
  input: unknown;
  status: 'scheduled' | 'running' | 'completed' | 'failed' | 'timed out' | 'cancelled';
  attempt: number;
  scheduledAt?: string;
  closedAt?: string;
  result?: unknown;
  error?: string;
};

/** Every activity the run scheduled, in order, with its outcome. */
export function activitiesOf(history: History): ActivityFact[] {
  const byId = new Map<string, ActivityFact>();
  for (const e of history.events ?? []) {
    const at = iso(e.eventTime);
    if (e.activityTaskScheduledEventAttributes) {
      const a = e.activityTaskScheduledEventAttributes;
      const type = a.activityType?.name ?? 'activity';
      const input = first(a.input) as Record<string, unknown> | undefined;
      const summary = e.userMetadata?.summary ? String(defaultPayloadConverter.fromPayload(e.userMetadata.summary)) : undefined;
      const stage: StageName | undefined = type === 'ingest' || type === 'deliver' || type === 'quality' ? type : type === 'transform' ? (input as TransformInput | undefined)?.stage : undefined;
      const subject = type === 'ingest' ? String(input?.dataset ?? '') : type === 'deliver' ? String(input?.sink ?? '') : undefined;
      byId.set(String(e.eventId), { type, summary, stage, subject, input, status: 'scheduled', attempt: 1, scheduledAt: at });
      continue;
    }
    const attrs = e.activityTaskStartedEventAttributes ?? e.activityTaskCompletedEventAttributes ?? e.activityTaskFailedEventAttributes
      ?? e.activityTaskTimedOutEventAttributes ?? e.activityTaskCanceledEventAttributes;
    const fact = attrs ? byId.get(String(attrs.scheduledEventId)) : undefined;
    if (!fact) continue;
    if (e.activityTaskStartedEventAttributes) {
      fact.status = 'running';
      fact.attempt = e.activityTaskStartedEventAttributes.attempt ?? fact.attempt;
    } else if (e.activityTaskCompletedEventAttributes) {
      Object.assign(fact, { status: 'completed', closedAt: at, result: first(e.activityTaskCompletedEventAttributes.result) });
    } else if (e.activityTaskFailedEventAttributes) {
      Object.assign(fact, { status: 'failed', closedAt: at, error: failureText(e.activityTaskFailedEventAttributes.failure) });
    } else if (e.activityTaskTimedOutEventAttributes) {
      Object.assign(fact, { status: 'timed out', closedAt: at, error: failureText(e.activityTaskTimedOutEventAttributes.failure) });
    } else {
      Object.assign(fact, { status: 'cancelled', closedAt: at });
    }
  }
  return [...byId.values()];
}

/** How the run ended, from its close event: the termination reason, a timeout, a failure's message. */
export function endOfHistory(history: History): { status: string; cause?: string } | undefined {
  const last = history.events?.at(-1);
  if (last?.workflowExecutionTerminatedEventAttributes) return { status: 'terminated', cause: last.workflowExecutionTerminatedEventAttributes.reason || undefined };
  if (last?.workflowExecutionTimedOutEventAttributes) return { status: 'timed out', cause: 'the workflow timed out' };
  if (last?.workflowExecutionFailedEventAttributes) return { status: 'failed', cause: failureText(last.workflowExecutionFailedEventAttributes.failure) };
  if (last?.workflowExecutionCanceledEventAttributes) return { status: 'cancelled' };
  return undefined;
}

const STAGES = ['ingest', 'standardize', 'preprocess', 'quality', 'deliver'] as const;
const ref = (r: DatasetRef) => ({ dataset: r.dataset, rows: r.rows, columns: r.columns?.length ?? 0, uri: r.uri });

/**
 * The run's report as far as its history tells it (`ended`: how it ended, e.g. 'terminated').
 * Undefined when the start event holds no Ferry plan.
 */
export function reportFromHistory(history: History, ended: string, workflowId = ''): RunReport | undefined {
  const events = history.events ?? [];
  const start = events[0]?.workflowExecutionStartedEventAttributes;
  const plan = first(start?.input) as RunPlan | undefined;
  if (!plan?.spec?.sinks) return undefined;
  const acts = activitiesOf(history);
  const startedAt = iso(events[0]!.eventTime) ?? '';
  const finishedAt = iso(events.at(-1)?.eventTime);
  // A stage with nothing to do is skipped once the run has gone past it; until then it is pending.
  const reached = Math.max(-1, ...STAGES.map((stage, i) => (acts.some((a) => a.stage === stage) ? i : -1)));
  const stages: StageReport[] = STAGES.map((stage, i) => {
    const mine = acts.filter((a) => a.stage === stage);
    const empty = stage === 'deliver' ? Object.keys(plan.spec.sinks).length === 0
      : stage === 'quality' ? !plan.spec.quality?.rules.length
      : stage !== 'ingest' && (plan.spec[stage]?.length ?? 0) === 0;
    const status: StageStatus = mine.length === 0 ? (empty && i < reached ? 'skipped' : 'pending')
      : mine.some((a) => a.status === 'failed' || a.status === 'timed out') ? 'failed'
      : mine.some((a) => a.status === 'scheduled' || a.status === 'running') ? (ended as StageStatus) // in flight when the run stopped
      : mine.some((a) => a.status === 'cancelled') ? 'cancelled' : 'completed';
    const datasets = mine.flatMap((a) => {
      if (a.status !== 'completed') return [];
      if (a.type === 'ingest') return [(a.result as IngestOutput).ref, ...((a.result as IngestOutput).extra ?? [])].map(ref);
      if (a.type === 'transform') return Object.values((a.result as TransformOutput).datasets).map(ref);
      const d = a.input as DeliverInput;
      return [{ ...ref(d.input), dataset: `${d.input.dataset} → ${d.sink}` }];
    });
    const opened = mine.map((a) => a.scheduledAt).filter(Boolean).sort()[0];
    // An activity in flight when the run stopped ran until then.
    const closed = mine.map((a) => a.closedAt ?? finishedAt).filter(Boolean).sort().at(-1);
    const error = mine.find((a) => a.error)?.error;
    return {
      stage, status, datasets,
      ...(opened ? { startedAt: opened } : {}),
      ...(opened && closed ? { finishedAt: closed, durationMs: Date.parse(closed) - Date.parse(opened) } : {}),
      ...(error ? { error } : {}),
    };
  });
  const sinks: SinkOutcome[] = Object.entries(plan.spec.sinks).map(([sink, spec]) => {
    const a = acts.filter((x) => x.type === 'deliver' && x.subject === sink).at(-1);
    const base = { sink, type: spec.type, target: targetOf(spec) };
    if (!a) return { ...base, status: 'not started' };
    if (a.status === 'completed') {
      const out = a.result as DeliverOutput;
      return { ...base, status: 'delivered', target: out.target, rows: out.rows, ...(out.detail ? { detail: out.detail } : {}) };
    }
    if (a.status === 'failed' || a.status === 'timed out') return { ...base, status: 'failed', error: a.error ?? a.status };
    if (a.status === 'cancelled') return { ...base, status: 'cancelled', error: 'cancelled' };
    return { ...base, status: ended as SinkOutcome['status'], error: `${ended} while delivering` };
  });
  const stopped = stages.find((s) => s.status !== 'completed' && s.status !== 'skipped' && s.status !== 'pending' && s.status !== 'reused');
  return {
    pipeline: plan.pipeline,
    ...(plan.spec.description ? { description: plan.spec.description } : {}),
    workflowId,
    run: { key: workflowId, time: plan.run?.time ?? startedAt, date: '', timezone: plan.spec.schedule?.timezone ?? 'UTC', trigger: plan.run?.trigger ?? 'client' },
    status: ended as RunReport['status'],
    stage: stopped?.stage ?? 'done',
    startedAt,
    ...(finishedAt ? { finishedAt, durationMs: Date.parse(finishedAt) - Date.parse(startedAt) } : {}),
    stages,
    sinks,
  };
}
