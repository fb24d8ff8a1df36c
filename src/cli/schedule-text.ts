/**
 * How `ferry schedule` prints: apply outcomes, the list table, one schedule's description. Pure
 * functions over what src/schedule/ read, so tests check the exact text.
 */
import type { ScheduleDescription } from '@temporalio/client';
import type { RunPlan } from '../run.js';
import type { ScheduledRun } from '../schedule/read.js';
import { overlapName, specDetails, specSummary } from '../schedule/spec.js';
import { bold, dim, red } from './render.js';

/** `2024-01-05T01:00:00Z`: UTC to the second. */
export const isoSecond = (d: Date): string => d.toISOString().replace(/\.\d+Z$/, 'Z');

/** `2024-01-05 02:00 Europe/Berlin` (seconds only when not zero). */
export function localTime(d: Date, timeZone: string): string {
  const p = Object.fromEntries(new Intl.DateTimeFormat('en-CA', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' })
    .formatToParts(d).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}${p.second === '00' ? '' : `:${p.second}`} ${timeZone}`;
}

/** `1d`, `90m`, `30s`: the largest whole unit. */
export function durationText(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

export type ListRow = { id: string; plan?: RunPlan; paused: boolean; next?: Date; last?: ScheduledRun };

export function listText(rows: ListRow[]): string {
  if (!rows.length) return `${dim('no Ferry schedules: deploy one with `ferry schedule apply <pipeline.yaml>`')}\n`;
  const spec = (r: ListRow) => (r.plan?.spec.schedule ? specSummary(r.plan.spec.schedule) : '?');
  const w = { id: Math.max(8, ...rows.map((r) => r.id.length)), spec: Math.max(8, ...rows.map((r) => spec(r).length)) };
  const lines = [`${'pipeline'.padEnd(w.id)}  ${'schedule'.padEnd(w.spec)}  ${'paused'.padEnd(6)}  ${'next run'.padEnd(20)}  last run`];
  for (const r of rows) {
    const last = r.last ? `${isoSecond(r.last.scheduledAt)} ${r.last.status}${r.last.retried ? ` (ferry retry: ${r.last.retried})` : ''}` : '—';
    lines.push(`${r.id.padEnd(w.id)}  ${spec(r).padEnd(w.spec)}  ${(r.paused ? 'yes' : 'no').padEnd(6)}  ${(r.next && !r.paused ? isoSecond(r.next) : '—').padEnd(20)}  ${last}`);
  }
  return `${lines.join('\n')}\n`;
}

export type DescribeInput = {
  id: string;
  plan: RunPlan;
  description: ScheduleDescription;
  runs: ScheduledRun[];
  /** `up to date with <file>` or `differs from <file>: …`. */
  drift: string;
  url: string;
};

export function describeText(d: DescribeInput): string {
  const s = d.plan.spec.schedule!;
  const { policies, state, info, action } = d.description;
  const pad = (label: string) => `  ${label.padEnd(12)}`;
  const lines = [
    // The note says why it is paused; once unpaused it is history.
    `${bold(d.id)}  ${state.paused ? red('paused') : 'active'}${state.paused && state.note ? dim(`  (${state.note})`) : ''}`,
    `${pad('pipeline')}${d.plan.pipeline} from ${d.plan.file} · task queue ${action.taskQueue}`,
    `${pad('spec')}${[specSummary(s, true), ...specDetails(s)].join(' · ')}`,
    `${pad('policies')}overlap ${overlapName(policies.overlap)} · catch-up window ${durationText(policies.catchupWindow)} · pause on failure ${policies.pauseOnFailure ? 'yes' : 'no'}`,
  ];
  const next = state.paused ? [] : info.nextActionTimes.slice(0, 5);
  lines.push(`${pad('next runs')}${next.length ? '' : dim(state.paused ? 'none while paused' : 'none')}`.trimEnd());
  for (const t of next) lines.push(`    ${s.timezone === 'UTC' ? isoSecond(t) : `${localTime(t, s.timezone)}  ${dim(`(${isoSecond(t)})`)}`}`);
  lines.push(`${pad('recent runs')}${d.runs.length ? '' : dim('none yet')}`.trimEnd());
  const idWidth = Math.max(0, ...d.runs.map((r) => r.workflowId.length));
  for (const r of d.runs) {
    lines.push(`    ${r.workflowId.padEnd(idWidth)}  ${r.status.padEnd(10)}  ${dim(`started ${isoSecond(r.takenAt)}`)}${r.retried ? `  ferry retry: ${r.retried}` : ''}`);
    if (r.error) lines.push(`      ${red(r.error)}`); // why it failed, in Ferry's words
  }
  lines.push(`${pad('plan')}${d.drift}`, `${pad('Temporal UI')}${d.url}`, '');
  return lines.join('\n');
}
