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
 *     start: 2024-01-01
 *     end: 2025-01-01
 */
import { z } from 'zod';
import { durationSchema } from './duration.js';

export const OVERLAP_POLICIES = ['skip', 'buffer_one', 'buffer_all', 'cancel_other', 'terminate_other', 'allow_all'] as const;

const isTimeZone = (tz: string): boolean => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
};

const instant = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'expected a date (2024-01-01) or an ISO time (2024-01-01T06:00:00Z)');

export const scheduleSchema = z.strictObject({
  cron: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional().describe('cron expression(s): minute hour day-of-month month day-of-week, or @daily, @hourly, …'),
  every: durationSchema.optional().describe('an interval instead of (or besides) cron: 15m, 1h, 1d'),
  offset: durationSchema.optional().describe('with every: shifts the interval, e.g. every: 1d, offset: 2h runs at 02:00 UTC'),
  timezone: z.string().default('UTC').refine(isTimeZone, 'expected an IANA time zone such as UTC or Europe/Berlin').describe('cron times and the run date are in this zone'),
  overlap: z.enum(OVERLAP_POLICIES).default('skip').describe('what happens when a run is due while the previous one is still going'),
  catchup_window: durationSchema.default('1d').describe('after the server or workers were down, missed runs within this window still start'),
  pause_on_failure: z.boolean().default(false).describe('pause the schedule when a run fails'),
  jitter: durationSchema.optional().describe('start each run up to this much later, at random (spreads load)'),
  start: instant.optional().describe('no runs before this date or time'),
  end: instant.optional().describe('no runs after this date or time'),
  paused: z.boolean().default(false).describe('deploy the schedule paused'),
  params: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}).describe('parameters of scheduled runs (override the pipeline\'s params defaults)'),
}).refine((s) => s.cron !== undefined || s.every !== undefined, { message: 'a schedule needs cron or every' })
  .refine((s) => s.offset === undefined || s.every !== undefined, { message: 'offset goes with every', path: ['offset'] });

export type ScheduleSpec = z.infer<typeof scheduleSchema>;
