/**
 * The rule registry: a quality rule is found by its `rule`.
 *
 *   const r = ruleOf(spec);   // r.kind === 'row' ? await r.check(spec, ctx) → { violates, reason } : …
 */
import { z } from 'zod';
import type { Rule } from '../rule.js';
import { notNull, unique, range, pattern, acceptedValues, type, maxLength } from './columns.js';
import { rowCount, freshness, referential, sqlRule } from './table.js';
import { anomaly } from './anomaly.js';
import { piiDetect } from './pii-detect.js';

export const RULES = {
  not_null: notNull, unique, range, pattern, accepted_values: acceptedValues, type, max_length: maxLength,
  row_count: rowCount, freshness, referential, sql: sqlRule, anomaly, pii_detect: piiDetect,
} as const;

export const ruleSchema = z.discriminatedUnion('rule', [
  notNull.schema, unique.schema, range.schema, pattern.schema, acceptedValues.schema, type.schema, maxLength.schema,
  rowCount.schema, freshness.schema, referential.schema, sqlRule.schema, anomaly.schema, piiDetect.schema,
] as unknown as [z.ZodObject, ...z.ZodObject[]]) as unknown as z.ZodType<RuleSpec>;

export type RuleSpec =
  | z.infer<typeof notNull.schema> | z.infer<typeof unique.schema> | z.infer<typeof range.schema> | z.infer<typeof pattern.schema>
  | z.infer<typeof acceptedValues.schema> | z.infer<typeof type.schema> | z.infer<typeof maxLength.schema>
  | z.infer<typeof rowCount.schema> | z.infer<typeof freshness.schema> | z.infer<typeof referential.schema> | z.infer<typeof sqlRule.schema>
  | z.infer<typeof anomaly.schema> | z.infer<typeof piiDetect.schema>;

type AnyRule = Rule<RuleSpec>;
export const ruleOf = (spec: RuleSpec): AnyRule => RULES[spec.rule] as unknown as AnyRule;

/** The name reports use: the rule's own `name`, else `<rule>:<dataset>.<label>` (e.g. not_null:sales.id). */
export const ruleName = (spec: RuleSpec): string => spec.name ?? `${spec.rule}:${spec.dataset}.${ruleOf(spec).label(spec)}`;
