/**
 * How quality outcomes read: counts with thousands separators, shares as percentages, thresholds
 * in words. "3 of 1,000 rows have NULL in id (0.30%; allowed 0.50%)".
 */

export const count = (n: number): string => n.toLocaleString('en-US');

/** A share as a percentage with two decimals: 0.003 → 0.30%. */
export const percent = (share: number): string => `${(share * 100).toFixed(2)}%`;

/**
 * The share `mostly` allows as a percentage, with two decimals or as many as it has (mostly 0.99761
 * → 0.239%): rounded to two, a failed rule would read "0.24%; allowed 0.24%".
 */
export function allowedPercent(mostly: number): string {
  const share = Number(((1 - mostly) * 100).toPrecision(10)); // 1 - 0.995 is 0.005000000000000004
  const decimals = /\.(\d+)$/.exec(String(share))?.[1]?.length ?? 0;
  return `${share.toFixed(Math.min(Math.max(decimals, 2), 8))}%`;
}

export type Threshold = { mostly?: number; max_failures?: number };

/** The threshold in words, as reports show it: "mostly 0.995", "at most 10 rows", "none". */
export function thresholdText(t: Threshold): string {
  if (t.mostly !== undefined) return `mostly ${t.mostly}`;
  if (t.max_failures !== undefined) return `at most ${count(t.max_failures)} row${t.max_failures === 1 ? '' : 's'}`;
  return 'none';
}

/**
 * Whether `failed` of `checked` rows is within the threshold: mostly — the passing share is at
 * least `mostly` (exactly at the threshold passes; compared in integers of rows so 995 of 1,000 at
 * 0.995 is not lost to floating point); max_failures — at most that many; neither — none may fail.
 */
export function withinThreshold(failed: number, checked: number, t: Threshold): boolean {
  if (t.mostly !== undefined) return checked === 0 || (checked - failed) >= t.mostly * checked - 1e-9 * checked;
  if (t.max_failures !== undefined) return failed <= t.max_failures;
  return failed === 0;
}

/** "3 of 1,000 rows have NULL in id (0.30%; allowed 0.50%)". */
export function rowMessage(failed: number, checked: number, what: string, t: Threshold): string {
  const head = `${count(failed)} of ${count(checked)} row${checked === 1 ? '' : 's'} ${what}`;
  if (failed === 0 && t.mostly === undefined && t.max_failures === undefined) return head;
  const share = checked ? failed / checked : 0;
  const allowed = t.mostly !== undefined ? allowedPercent(t.mostly) : t.max_failures !== undefined ? `${count(t.max_failures)} row${t.max_failures === 1 ? '' : 's'}` : 'none';
  return `${head} (${percent(share)}; allowed ${allowed})`;
}
