/**
 * pii_detect (a table rule): reports the columns whose names or values look like personal data —
 * e-mail addresses, phone numbers, IBANs, card numbers (Luhn-checked), national ids. Its severity
 * and on_fail decide whether that warns, fails or asks.
 */
import { z } from 'zod';
import { ruleBase, type TableRule } from '../rule.js';

export const PII_KINDS = ['email', 'phone', 'iban', 'card', 'national_id'] as const;

const piiDetectSchema = z.strictObject({
  rule: z.literal('pii_detect'), ...ruleBase,
  kinds: z.array(z.enum(PII_KINDS)).optional().describe('what to look for (default: all)'),
  columns: z.array(z.string()).optional().describe('only these columns (default: every text column)'),
  ignore: z.array(z.string()).default([]).describe('columns known and accepted (e.g. already hashed)'),
  min_share: z.number().min(0).max(1).default(0.5).describe('a column is flagged when at least this share of its non-NULL sampled values match'),
});
export type PiiDetectSpec = z.infer<typeof piiDetectSchema>;

export const piiDetect: TableRule<PiiDetectSpec> = {
  kind: 'table',
  schema: piiDetectSchema,
  label: () => 'columns',
  check: async () => {
    throw new Error('quality rule pii_detect is not implemented yet');
  },
};
