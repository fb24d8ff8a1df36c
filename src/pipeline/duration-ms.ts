/**
 * Config durations (`500ms`, `30s`, `5m`, `2h`, `1d`) in milliseconds, with no dependencies: the
 * workflow bundle uses it too (src/rate-limit.ts), where the zod schema of ./duration.ts cannot go.
 */
export const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

export function parseDuration(text: string): number {
  const m = DURATION.exec(text.trim());
  if (!m) throw new Error(`not a duration: ${text}`);
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}
