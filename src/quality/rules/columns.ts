/**
 * Column rules (row rules): not_null, unique, range, pattern, accepted_values, type, max_length.
 * Each says which rows violate it as SQL over the dataset (see RowRule in ../rule.ts).
 */
import { z } from 'zod';
import { ruleBase, type RowRule } from '../rule.js';

const column = z.string().describe('the column checked');
const columns = z.array(z.string()).min(1).describe('the columns checked');
const scalar = z.union([z.string(), z.number(), z.boolean()]);

const notImplemented = (rule: string) => async (): Promise<never> => {
  throw new Error(`quality rule ${rule} is not implemented yet`);
};

const notNullSchema = z.strictObject({ rule: z.literal('not_null'), ...ruleBase, columns });
export const notNull: RowRule<z.infer<typeof notNullSchema>> = { kind: 'row', schema: notNullSchema, label: (s) => s.columns.join(','), check: notImplemented('not_null') };

const uniqueSchema = z.strictObject({ rule: z.literal('unique'), ...ruleBase, columns: columns.describe('the columns whose combination must be unique') });
export const unique: RowRule<z.infer<typeof uniqueSchema>> = { kind: 'row', schema: uniqueSchema, label: (s) => s.columns.join(','), check: notImplemented('unique') };

const rangeSchema = z.strictObject({
  rule: z.literal('range'), ...ruleBase, column,
  min: z.union([z.number(), z.string()]).optional().describe('smallest allowed value (a number, or a date/timestamp as text)'),
  max: z.union([z.number(), z.string()]).optional().describe('largest allowed value'),
  exclusive: z.boolean().default(false).describe('min and max themselves are not allowed'),
}).refine((s) => s.min !== undefined || s.max !== undefined, { message: 'range needs min, max or both' });
export const range: RowRule<z.infer<typeof rangeSchema>> = { kind: 'row', schema: rangeSchema, label: (s) => s.column, check: notImplemented('range') };

const patternSchema = z.strictObject({ rule: z.literal('pattern'), ...ruleBase, column, regex: z.string().min(1).describe('a regular expression the whole value must match (RE2 syntax)') });
export const pattern: RowRule<z.infer<typeof patternSchema>> = { kind: 'row', schema: patternSchema, label: (s) => s.column, check: notImplemented('pattern') };

const acceptedSchema = z.strictObject({ rule: z.literal('accepted_values'), ...ruleBase, column, values: z.array(scalar).min(1).describe('the allowed values') });
export const acceptedValues: RowRule<z.infer<typeof acceptedSchema>> = { kind: 'row', schema: acceptedSchema, label: (s) => s.column, check: notImplemented('accepted_values') };

const typeSchema = z.strictObject({ rule: z.literal('type'), ...ruleBase, column, type: z.string().min(1).describe('a type every non-NULL value must convert to exactly, e.g. INTEGER, DATE, DECIMAL(12,2), TIMESTAMPTZ') });
export const type: RowRule<z.infer<typeof typeSchema>> = { kind: 'row', schema: typeSchema, label: (s) => s.column, check: notImplemented('type') };

const maxLengthSchema = z.strictObject({ rule: z.literal('max_length'), ...ruleBase, column, max: z.number().int().min(0).describe('longest allowed text, in characters') });
export const maxLength: RowRule<z.infer<typeof maxLengthSchema>> = { kind: 'row', schema: maxLengthSchema, label: (s) => s.column, check: notImplemented('max_length') };
