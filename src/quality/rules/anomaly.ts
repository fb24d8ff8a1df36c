/**
 * anomaly (a table rule): this run's metric of a dataset against the same metric in the last
 * `window` successful runs, by median absolute deviation (one bad day in the history does not move
 * the median). Too little history: "not evaluated: 3 of 5 runs", never a guess.
 *
 *   - { rule: anomaly, dataset: sales, metric: row_count, window: 14, threshold: 3 }
 *   - { rule: anomaly, dataset: sales, metric: null_ratio, column: email, severity: warn }
 */
import { z } from 'zod';
import { ruleBase, type TableRule, type TableCheck, type RuleContext } from '../rule.js';
import type { DatasetProfile } from '../../run.js';
import { ConfigError } from '../../errors.js';
import { usualRange, outside } from '../mad.js';

export const METRICS = ['row_count', 'null_ratio', 'distinct', 'mean', 'min', 'max'] as const;
export type Metric = (typeof METRICS)[number];

/** Metrics that are numbers of the column's values: only numeric columns have them as numbers. */
const VALUE_METRICS = new Set<Metric>(['mean', 'min', 'max']);
const NUMERIC_TEXT = /^-?\d+(\.\d+)?$/;

const anomalySchema = z.strictObject({
  rule: z.literal('anomaly'), ...ruleBase,
  metric: z.enum(METRICS).describe('row_count of the dataset, or a column metric: null_ratio, distinct, mean, min, max (mean/min/max: numeric columns)'),
  column: z.string().optional().describe('the column, for a column metric'),
  window: z.number().int().min(2).default(14).describe('how many earlier successful runs to compare with'),
  threshold: z.number().positive().default(3).describe('how many (scaled) median absolute deviations from the median is an anomaly'),
  min_history: z.number().int().min(2).default(5).describe('fewer earlier runs than this: not evaluated'),
})
  .refine((s) => s.metric === 'row_count' || s.column !== undefined, { message: 'a column metric (null_ratio, distinct, mean, min, max) needs column', path: ['column'] })
  .refine((s) => s.metric !== 'row_count' || s.column === undefined, { message: 'row_count is the dataset\'s, not a column\'s: remove column', path: ['column'] })
  .refine((s) => s.min_history <= s.window, { message: 'min_history cannot be more than window', path: ['min_history'] });
export type AnomalySpec = z.infer<typeof anomalySchema>;

export const anomaly: TableRule<AnomalySpec> = {
  kind: 'table',
  schema: anomalySchema,
  label: (s) => (s.column ? `${s.metric}(${s.column})` : s.metric),
  check: checkAnomaly,
};

async function checkAnomaly(spec: AnomalySpec, ctx: RuleContext): Promise<TableCheck> {
  const label = anomaly.label(spec);
  if (spec.column !== undefined && VALUE_METRICS.has(spec.metric)) {
    const col = ctx.columns.find((c) => c.name === spec.column);
    if (col && !/^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|DECIMAL)/i.test(col.type)) {
      throw new ConfigError(`anomaly ${label}: column ${spec.column} is ${col.type}; ${spec.metric} is compared for numeric columns only (for how recent a date is, use a freshness rule)`, { dataset: ctx.dataset });
    }
  }
  const current = metricOf(await ctx.profile(), spec);
  if (current === undefined) {
    throw new ConfigError(`anomaly ${label}: dataset ${ctx.dataset} has no column ${spec.column} (columns: ${ctx.columns.map((c) => c.name).join(', ')})`, { dataset: ctx.dataset });
  }
  // Earlier runs only (not this logical run's own earlier attempts), each with the metric (a column added lately is missing in older runs).
  const history = (await ctx.history(spec.window))
    .filter((h) => h.version !== ctx.run.key)
    .slice(0, spec.window)
    .flatMap((h) => {
      const v = metricOf(h.profile, spec);
      return v === undefined ? [] : [v];
    });
  if (history.length < spec.min_history) {
    const reason = `${history.length} of ${spec.min_history} runs`;
    return { passed: true, notEvaluated: reason, message: `not evaluated: ${reason}`, value: current };
  }
  const range = usualRange(history, spec.threshold);
  const integral = spec.metric === 'row_count' || spec.metric === 'distinct';
  const fmt = (v: number) => formatMetric(v, spec.metric, integral);
  const expected = `${fmt(integral ? Math.ceil(range.low) : range.low)}–${fmt(integral ? Math.floor(range.high) : range.high)}`;
  const runs = `${history.length} run${history.length === 1 ? '' : 's'}`;
  const side = outside(current, range);
  const message = side
    ? `${label} ${fmt(current)} is far ${side} the usual ${fmt(range.median)} (median of ${runs}; expected ${expected})`
    : `${label} ${fmt(current)} is as usual (median ${fmt(range.median)} of ${runs}; expected ${expected})`;
  return { passed: !side, message, value: current, expected, ...(spec.column ? { columns: [spec.column] } : {}) };
}

/** The metric in a profile; undefined when the column is not in it (or has no such statistic). */
export function metricOf(profile: DatasetProfile, spec: Pick<AnomalySpec, 'metric' | 'column'>): number | undefined {
  if (spec.metric === 'row_count') return profile.rows;
  const col = profile.columns.find((c) => c.name === spec.column);
  const v = col?.[spec.metric];
  // A numeric min/max a double cannot hold exactly is kept as text (profile.ts): compared as the nearest number.
  const n = typeof v === 'string' && VALUE_METRICS.has(spec.metric) && NUMERIC_TEXT.test(v) ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
}

/** 1,000 for counts, 12.5% for a null ratio, 4 significant digits otherwise (0.001234, 52.31). */
export function formatMetric(v: number, metric: Metric, integral: boolean): string {
  if (metric === 'null_ratio') return `${(v * 100).toLocaleString('en-US', { maximumFractionDigits: 2 })}%`;
  if (integral) return Math.round(v).toLocaleString('en-US');
  return Number.isInteger(v) ? v.toLocaleString('en-US') : v.toLocaleString('en-US', { maximumSignificantDigits: 4 });
}
