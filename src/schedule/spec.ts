/**
 * A pipeline's `schedule:` section as Temporal sees it: the ScheduleSpec (cron expressions or an
 * interval, time zone, start/end, jitter) and the policies (overlap, catch-up window, pause on
 * failure); and the one-line summary `ferry schedule list` prints. Pure functions.
 *
 *   temporalSpec({ cron: '0 2 * * *', timezone: 'Europe/Berlin', … })
 *     // { cronExpressions: ['0 2 * * *'], timezone: 'Europe/Berlin' }
 *   specSummary(schedule)   // 'cron 0 2 * * * Europe/Berlin'
 */
import type { ScheduleOverlapPolicy, ScheduleSpec as TemporalSpec, ScheduleOptions } from '@temporalio/client';
import { parseDuration } from '../pipeline/duration.js';
import { scheduleRange, type OverlapPolicy, type ScheduleSpec } from '../pipeline/schedule.js';

export function temporalSpec(s: ScheduleSpec): TemporalSpec {
  return {
    ...(s.cron !== undefined ? { cronExpressions: [s.cron].flat() } : {}),
    ...(s.every !== undefined ? { intervals: [{ every: parseDuration(s.every), ...(s.offset ? { offset: parseDuration(s.offset) } : {}) }] } : {}),
    timezone: s.timezone,
    ...(s.jitter !== undefined ? { jitter: parseDuration(s.jitter) } : {}),
    ...scheduleRange(s),
  };
}

export const overlapOf = (p: OverlapPolicy): ScheduleOverlapPolicy => p.toUpperCase() as ScheduleOverlapPolicy;

/** Temporal's overlap policy name as the YAML writes it (`BUFFER_ALL` → `buffer_all`). */
export const overlapName = (p: ScheduleOverlapPolicy | string | undefined): string => (p ?? 'SKIP').toLowerCase();

export function temporalPolicies(s: ScheduleSpec): NonNullable<ScheduleOptions['policies']> {
  return { overlap: overlapOf(s.overlap), catchupWindow: parseDuration(s.catchup_window), pauseOnFailure: s.pause_on_failure };
}

/**
 * `cron 0 2 * * * Europe/Berlin`, `every 1h offset 5m`, `cron 0 2 * * 1-5, 0 6 * * 0` (UTC is left
 * out unless `withUtc`).
 */
export function specSummary(s: ScheduleSpec, withUtc = false): string {
  const parts: string[] = [];
  if (s.cron !== undefined) parts.push(`cron ${[s.cron].flat().join(', ')}`);
  if (s.every !== undefined) parts.push(`every ${s.every}${s.offset ? ` offset ${s.offset}` : ''}`);
  return `${parts.join(' + ')}${s.timezone === 'UTC' && !withUtc ? '' : ` ${s.timezone}`}`;
}

/** The rest of the spec, for `describe`: `jitter 30s · from 2024-01-01 · until 2024-12-31`. */
export function specDetails(s: ScheduleSpec): string[] {
  return [
    ...(s.jitter ? [`jitter up to ${s.jitter}`] : []),
    ...(s.start ? [`from ${s.start}`] : []),
    ...(s.end ? [`until ${s.end}`] : []),
  ];
}
