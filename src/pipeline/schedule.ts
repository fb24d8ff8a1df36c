/**
 * The `schedule:` section of a pipeline: when Temporal runs it. Deployed as a Temporal Schedule by
 * `ferry schedule apply` (src/schedule/), which turns it into a ScheduleSpec and policies; Ferry has
 * no scheduler loop of its own.
 *
 *   schedule:
 *     cron: "0 2 * * *"          # or a list of crons; or every: 1h (with offset: 5m)
 *     timezone: Europe/Berlin    # cron times and the run date ({run_date}) are in this zone
 *     overlap: skip              # a run still going when the next is due: skip, buffer_one, buffer_all, cancel_other, terminate_other, allow_all
 *     catchup_window: 1d         # after an outage, runs missed within this window still start
 *     pause_on_failure: true
 *     jitter: 30s
 *     start: 2024-01-01          # a day: from its midnight in `timezone`
 *     end: 2024-12-31            # a day: through the end of that day
 *     params: { region: eu }     # the parameters of scheduled runs
 */
import { z } from 'zod';
import { durationSchema, parseDuration } from './duration.js';
import { isDay, runTimeOf } from '../run-date.js';

export const OVERLAP_POLICIES = ['skip', 'buffer_one', 'buffer_all', 'cancel_other', 'terminate_other', 'allow_all'] as const;
export type OverlapPolicy = (typeof OVERLAP_POLICIES)[number];

const isTimeZone = (tz: string): boolean => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
};

const CRON_MACRO = /^@(yearly|annually|monthly|weekly|daily|midnight|hourly)$/;
const CRON_FIELD = /^[0-9A-Za-z*?,/#-]+$/;

/**
 * The shape of a cron expression as Temporal reads it: 5 fields (minute hour day-of-month month
 * day-of-week), 6 (+ year) or 7 (second first), or a macro such as @daily. Temporal checks the
 * values themselves when the schedule is applied.
 */
export function cronProblem(expr: string): string | undefined {
  const text = expr.replace(/\s#.*$/, '').trim();
  if (/^(CRON_)?TZ=/.test(text)) return 'set the time zone with timezone:, not in the cron expression';
  if (text.startsWith('@every')) return 'use every: (and offset:) for intervals';
  if (text.startsWith('@')) return CRON_MACRO.test(text) ? undefined : 'expected @yearly, @monthly, @weekly, @daily or @hourly';
  const fields = text.split(/\s+/);
  if (fields.length < 5 || fields.length > 7) return `expected 5 fields (minute hour day-of-month month day-of-week), got ${fields.length}`;
  const bad = fields.find((f) => !CRON_FIELD.test(f));
  return bad ? `unexpected characters in ${JSON.stringify(bad)}` : undefined;
}

const cronExpr = z.string().min(1).superRefine((s, ctx) => {
  const problem = cronProblem(s);
  if (problem) ctx.addIssue({ code: 'custom', message: `${problem} (got ${JSON.stringify(s)})` });
});

const instant = z.string().refine((s) => runTimeOf(s) !== undefined, 'expected a day (2024-01-01) or an ISO time with a zone (2024-01-01T06:00:00Z)');

export const scheduleSchema = z.strictObject({
  cron: z.union([cronExpr, z.array(cronExpr).min(1)]).optional().describe('cron expression(s): minute hour day-of-month month day-of-week, or @daily, @hourly, …'),
  every: durationSchema.optional().describe('an interval instead of (or besides) cron: 15m, 1h, 1d (counted from 1970-01-01 UTC; at least 1s)'),
  offset: durationSchema.optional().describe('with every: shifts the interval, e.g. every: 1d, offset: 2h runs at 02:00 UTC'),
  timezone: z.string().default('UTC').refine(isTimeZone, 'expected an IANA time zone such as UTC or Europe/Berlin').describe('cron times, start/end days and the run date are in this zone'),
  overlap: z.enum(OVERLAP_POLICIES).default('skip').describe('what happens when a run is due while the previous one is still going'),
  catchup_window: durationSchema.default('1d').describe('after the server or workers were down, missed runs within this window still start'),
  pause_on_failure: z.boolean().default(false).describe('pause the schedule when a run fails'),
  jitter: durationSchema.optional().describe('start each run up to this much later, at random (spreads load; the run date stays the nominal time\'s)'),
  start: instant.optional().describe('no runs before this: a day (from its midnight in timezone) or an ISO time'),
  end: instant.optional().describe('no runs after this: a day (through its end in timezone) or an ISO time'),
  paused: z.boolean().default(false).describe('deploy the schedule paused (a later apply changes the paused state only when this value changed)'),
  params: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}).describe('parameters of scheduled runs (override the pipeline\'s params defaults)'),
}).superRefine((s, ctx) => {
  if (s.cron === undefined && s.every === undefined) ctx.addIssue({ code: 'custom', message: 'a schedule needs cron or every' });
  if (s.offset !== undefined && s.every === undefined) ctx.addIssue({ code: 'custom', message: 'offset goes with every', path: ['offset'] });
  if (s.every !== undefined && DURATION_OK(s.every) && parseDuration(s.every) < 1000) ctx.addIssue({ code: 'custom', message: `expected at least 1s (got ${JSON.stringify(s.every)})`, path: ['every'] });
  const range = scheduleRange(s);
  if (range.startAt && range.endAt && range.startAt > range.endAt) ctx.addIssue({ code: 'custom', message: 'end is before start', path: ['end'] });
});

const DURATION_OK = (text: string): boolean => durationSchema.safeParse(text).success;

export type ScheduleSpec = z.infer<typeof scheduleSchema>;

/**
 * The instants of `start` and `end`: a day starts at its midnight in the schedule's zone, and an
 * end day lasts through its last second (`end: 2024-12-31` still runs on the 31st).
 */
export function scheduleRange(s: Pick<ScheduleSpec, 'start' | 'end' | 'timezone'>): { startAt?: Date; endAt?: Date } {
  const tz = isTimeZone(s.timezone) ? s.timezone : 'UTC';
  const at = (text: string | undefined) => (text === undefined ? undefined : runTimeOf(text, tz));
  const start = at(s.start);
  let end = at(s.end);
  if (end && s.end && isDay(s.end)) end = new Date(Date.parse(dayAfter(s.end.trim(), tz)) - 1000).toISOString();
  return { ...(start ? { startAt: new Date(start) } : {}), ...(end ? { endAt: new Date(end) } : {}) };
}

/** Midnight (in `tz`) of the day after `day`. */
export function dayAfter(day: string, tz: string): string {
  const next = new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
  return runTimeOf(next, tz)!;
}
