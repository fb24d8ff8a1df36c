/**
 * The logical run date: parsing `--date`, the calendar day of an instant in a time zone, and the
 * workflow id of a dated run. Pure functions, imported by workflow code too.
 *
 *   runTimeOf('2024-01-05', 'Europe/Berlin')   // '2024-01-04T23:00:00.000Z' (midnight in Berlin)
 *   localDate('2024-01-04T23:00:00.000Z', 'Europe/Berlin')  // '2024-01-05'
 *   datedRunId('retail', '2024-01-04T23:00:00.000Z')        // 'retail-2024-01-04T23:00:00Z'
 */

/** The calendar day of an instant in a time zone, as YYYY-MM-DD. */
export function localDate(iso: string, timeZone: string): string {
  // en-CA formats dates as YYYY-MM-DD.
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(iso));
}

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Whether the text is a plain day (`2024-01-05`), not a time. */
export const isDay = (text: string): boolean => DAY.test(text.trim());

/**
 * The instant of a `--date`: a day (`2024-01-05`, midnight in `timeZone`) or an ISO time with a
 * zone (`2024-01-05T06:00:00Z`). Undefined when the text is neither.
 */
export function runTimeOf(text: string, timeZone = 'UTC'): string | undefined {
  const day = DAY.exec(text.trim());
  if (day) {
    const [y, m, d] = [Number(day[1]), Number(day[2]), Number(day[3])];
    const utcMidnight = Date.UTC(y, m - 1, d);
    if (new Date(utcMidnight).getUTCDate() !== d || new Date(utcMidnight).getUTCMonth() !== m - 1) return undefined; // 2024-02-30, 2024-13-01
    // Midnight in the zone: UTC midnight shifted by the zone's offset at that time (twice, across a DST change).
    let t = utcMidnight - offsetMs(utcMidnight, timeZone);
    t = utcMidnight - offsetMs(t, timeZone);
    return new Date(t).toISOString();
  }
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(text.trim())) return undefined;
  const t = Date.parse(text);
  return Number.isNaN(t) ? undefined : new Date(t).toISOString();
}

/** How far the zone's wall clock is ahead of UTC at instant `t`. */
function offsetMs(t: number, timeZone: string): number {
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-US', {
    timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
  }).formatToParts(new Date(t)).map((p) => [p.type, p.value]));
  const wall = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
  return wall - Math.floor(t / 1000) * 1000;
}

/**
 * The workflow id of the run of `pipeline` for `time`: the same id a Temporal Schedule gives the
 * run it starts for that time (`<schedule action id>-<RFC 3339 time>`), so a manual `--date` run,
 * a backfill and the scheduled run of one day are one logical run: Temporal never runs two of
 * them at once, and the sinks deliver it once.
 */
export function datedRunId(pipeline: string, time: string): string {
  return `${pipeline}-${new Date(time).toISOString().replace(/\.\d+Z$/, 'Z')}`;
}
