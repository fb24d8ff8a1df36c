/**
 * The `quality:` section of a pipeline: rules checked after preprocess and before deliver, and what
 * a failed rule does.
 *
 *   quality:
 *     on_fail: quarantine             # default for error rules: fail | quarantine | ask
 *     ask: { timeout: 24h, default: reject }
 *     rules:
 *       - { rule: not_null, dataset: sales, columns: [id, amount] }
 *       - { rule: range, dataset: sales, column: amount, min: 0, mostly: 0.995 }
 *       - { rule: row_count, dataset: sales, min: 1, on_fail: ask }
 */
import { z } from 'zod';
import { ruleSchema } from './rules/index.js';
import { ON_FAIL } from './rule.js';
import { durationSchema } from '../pipeline/duration.js';

export const DECISIONS = ['approve', 'reject', 'quarantine'] as const;
export type DecisionKind = (typeof DECISIONS)[number];

export const askSchema = z.strictObject({
  timeout: durationSchema.optional().describe('how long a run waits for a decision (default: until one is made)'),
  default: z.enum(DECISIONS).default('reject').describe('the decision when the timeout passes'),
});

export const qualitySchema = z.strictObject({
  on_fail: z.enum(ON_FAIL).default('fail').describe('what a failed error rule does, unless the rule says otherwise'),
  ask: askSchema.default(askSchema.parse({})).describe('for on_fail: ask — how long to wait for `ferry approve|reject|quarantine`, and what happens then'),
  samples: z.number().int().min(0).max(100).default(5).describe('violating rows kept per rule for the report'),
  rules: z.array(ruleSchema).default([]),
});
export type QualitySpec = z.infer<typeof qualitySchema>;
