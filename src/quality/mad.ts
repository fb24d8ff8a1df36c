/**
 * Median and median absolute deviation (MAD): the robust centre and spread of a short history.
 * One bad day among fourteen moves neither (a mean and a standard deviation it would drag along).
 * Pure functions.
 *
 *   const band = usualRange([980, 1010, 995, 1003, 990], 3);   // { median: 995, low: 966…, high: 1024… }
 *   outside(1500, band)                                          // 'above'
 */

/** The MAD times this estimates the standard deviation of normally distributed values. */
export const MAD_SCALE = 1.4826;

/**
 * The narrowest half-width of the usual range, as a fraction of the median: a flat or almost flat
 * history (MAD 0: exactly 1,000 rows every day) would otherwise flag 1,001 rows as an anomaly.
 */
export const RELATIVE_FLOOR = 0.01;

export function median(values: number[]): number {
  if (!values.length) throw new RangeError('the median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The median of the absolute deviations from the median (unscaled). */
export function mad(values: number[], centre = median(values)): number {
  return median(values.map((v) => Math.abs(v - centre)));
}

/** What the history says is usual: its median, its scaled MAD, and the range `threshold` scaled MADs wide each side. */
export type UsualRange = { median: number; scaledMad: number; low: number; high: number; runs: number };

/**
 * median ± max(threshold × 1.4826 × MAD, 1% of |median|). With a median of 0 and a MAD of 0 (a
 * column that never had a NULL) the range is [0, 0]: any other value is unusual.
 */
export function usualRange(history: number[], threshold: number): UsualRange {
  const m = median(history);
  const scaledMad = MAD_SCALE * mad(history, m);
  const half = Math.max(threshold * scaledMad, RELATIVE_FLOOR * Math.abs(m));
  return { median: m, scaledMad, low: m - half, high: m + half, runs: history.length };
}

/** Where a value lies against the usual range: inside, or far below or above it. */
export function outside(value: number, range: UsualRange): 'below' | 'above' | undefined {
  if (value < range.low) return 'below';
  if (value > range.high) return 'above';
  return undefined;
}
