/**
 * Which runs to list: the filter of `ferry runs`, parsed from its options, and the Temporal
 * visibility query it becomes — the same query the Temporal UI's search box takes:
 *
 *   runQuery({ pipeline: 'retail', trigger: 'schedule' })
 *   // WorkflowType = 'pipeline' AND FerryPipeline = 'retail' AND FerryTrigger = 'schedule'
 *
 * Pure and light (no Temporal client), so command modules can use the parsers at --help time.
 */
import { RUN_TRIGGERS, type RunTrigger } from './run.js';
import { runTimeOf } from './run-date.js';

/** A run's status as a user reads it (Temporal's execution status, lower case). */
export type RunStatus = 'running' | 'completed' | 'failed' | 'cancelled' | 'terminated' | 'timed out' | 'continued';

/** The visibility query's name of each status. */
const VISIBILITY_STATUS: Record<RunStatus, string> = {
  running: 'Running', completed: 'Completed', failed: 'Failed', cancelled: 'Canceled',
  terminated: 'Terminated', 'timed out': 'TimedOut', continued: 'ContinuedAsNew',
};
export const RUN_STATUSES = Object.keys(VISIBILITY_STATUS) as RunStatus[];

/** What `--status` filters on: a run status, or `waiting` (running, and waiting at the quality gate for a decision). */
export type StatusFilter = RunStatus | 'waiting';

/** `--status`: a status as `ferry runs` prints it (also `canceled`, `timed-out`, `waiting`); undefined if none. */
export function parseStatus(text: string): StatusFilter | undefined {
  const t = text.trim().toLowerCase().replace(/[-_]/g, ' ');
  const status = t === 'canceled' ? 'cancelled' : t === 'timedout' ? 'timed out' : t;
  if (status === 'waiting') return 'waiting';
  return (RUN_STATUSES as string[]).includes(status) ? (status as RunStatus) : undefined;
}

export function parseTrigger(text: string): RunTrigger | undefined {
  return (RUN_TRIGGERS as readonly string[]).includes(text.trim()) ? (text.trim() as RunTrigger) : undefined;
}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * `--since`: a duration back from now (`30m`, `2h`, `7d`, `2w`) or a date (`2024-01-05`, midnight
 * UTC) or an ISO time (`2024-01-05T06:00:00Z`). Undefined when it is none of them.
 */
export function parseSince(text: string, now = Date.now()): Date | undefined {
  const d = /^(\d+(?:\.\d+)?)\s*([smhdw])$/.exec(text.trim());
  if (d) return new Date(now - Number(d[1]) * UNIT_MS[d[2]!]!);
  const time = runTimeOf(text, 'UTC');
  return time ? new Date(time) : undefined;
}

export type RunFilter = { pipeline?: string; status?: StatusFilter; since?: Date; trigger?: RunTrigger; limit?: number };

/** The visibility query of a filter (values are quoted; names come from a fixed set). */
export function runQuery(filter: RunFilter): string {
  const q = (v: string) => `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  return [
    `WorkflowType = 'pipeline'`,
    filter.pipeline && `FerryPipeline = ${q(filter.pipeline)}`,
    // A waiting run is running in Temporal; the gate marks it (a terminated waiting run keeps the mark).
    filter.status === 'waiting' ? `ExecutionStatus = 'Running' AND FerryGate = 'waiting'` : filter.status && `ExecutionStatus = ${q(VISIBILITY_STATUS[filter.status])}`,
    filter.trigger && `FerryTrigger = ${q(filter.trigger)}`,
    filter.since && `StartTime >= ${q(filter.since.toISOString())}`,
  ].filter(Boolean).join(' AND ');
}

/** The filter as a Temporal UI address: the UI's workflow list with the same query. */
export function runsUrl(uiUrl: string, namespace: string, filter: RunFilter): string {
  return `${uiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows?query=${encodeURIComponent(runQuery(filter))}`;
}

