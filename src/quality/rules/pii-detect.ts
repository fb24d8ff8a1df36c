/**
 * pii_detect (a table rule): reports the columns whose names or values look like personal data —
 * e-mail addresses, phone numbers, IBANs, card numbers (Luhn-checked), national ids (US SSN,
 * Brazilian CPF, UK NINO), birth dates (by name). Its severity and on_fail decide whether that
 * warns, fails or asks. Patterns: src/quality/pii-patterns.ts.
 *
 *   - { rule: pii_detect, dataset: customers, severity: warn, ignore: [email_hash] }
 */
import { z } from 'zod';
import { ident, type TableEngine } from '../../table/engine.js';
import { ruleBase, type TableRule } from '../rule.js';
import { PII_KINDS, KIND_LABEL, kindOfName, kindOfValue, type PiiKind } from '../pii-patterns.js';

export { PII_KINDS };

/** Values sampled per column: enough for a share, cheap on any table. */
export const PII_SAMPLE = 10_000;

const piiDetectSchema = z.strictObject({
  rule: z.literal('pii_detect'), ...ruleBase,
  kinds: z.array(z.enum(PII_KINDS)).optional().describe('what to look for (default: all)'),
  columns: z.array(z.string()).optional().describe('only these columns (default: every column by name, every text column by value)'),
  ignore: z.array(z.string()).default([]).describe('columns known and accepted (e.g. already hashed)'),
  min_share: z.number().min(0).max(1).default(0.5).describe('a column is flagged when at least this share of its non-NULL sampled values match'),
  by_name: z.boolean().default(true).describe('also flag columns whose name says they are personal (email, phone, ssn, dob, …)'),
});
export type PiiDetectSpec = z.infer<typeof piiDetectSchema>;

type Finding = { column: string; reason: string };

const pct = (share: number): string => `${share >= 0.995 && share < 1 ? '99' : Math.round(share * 100)}%`;

export const piiDetect: TableRule<PiiDetectSpec> = {
  kind: 'table',
  schema: piiDetectSchema,
  label: () => 'columns',
  check: async (spec, ctx) => {
    const wanted = new Set<PiiKind>(spec.kinds ?? PII_KINDS);
    const have = ctx.columns.map((c) => c.name);
    const missing = (spec.columns ?? []).filter((c) => !have.includes(c));
    if (missing.length) return { passed: false, message: `unknown column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} in ${ctx.dataset}; it has: ${have.join(', ')}` };
    const columns = ctx.columns.filter((c) => (spec.columns ?? have).includes(c.name) && !spec.ignore.includes(c.name));
    const findings: Finding[] = [];
    let byValue = 0;
    for (const c of columns) {
      // Values first: a share says more than a name. Only text holds e-mails, formatted phones, IBANs.
      const value = c.type === 'VARCHAR' ? await valueFinding(ctx.table, ctx.dataset, c.name, wanted, spec.min_share) : undefined;
      if (c.type === 'VARCHAR') byValue++;
      const nameKind = spec.by_name ? kindOfName(c.name) : undefined;
      if (value) findings.push({ column: c.name, reason: value });
      else if (nameKind && wanted.has(nameKind)) findings.push({ column: c.name, reason: `is named like ${KIND_LABEL[nameKind]}` });
    }
    if (findings.length === 0) {
      return { passed: true, message: `no column looks personal (${columns.length} columns checked${spec.by_name ? ' by name' : ''}, ${byValue} text columns by value)`, value: 0, columns: [] };
    }
    return {
      passed: false,
      message: findings.map((f) => `${f.column} ${f.reason}`).join('; '),
      value: findings.length,
      expected: 'no personal data in the clear (protect it with a pii step, or list the column under ignore)',
      columns: findings.map((f) => f.column),
    };
  },
};

/** "looks like e-mail addresses (98% of 1,000 sampled values)", or nothing below min_share. */
async function valueFinding(table: TableEngine, dataset: string, column: string, wanted: Set<PiiKind>, minShare: number): Promise<string | undefined> {
  const sample = await table.rows(`SELECT ${ident(column)} AS v FROM ${ident(dataset)} WHERE ${ident(column)} IS NOT NULL LIMIT ${PII_SAMPLE}`);
  if (sample.length === 0) return undefined;
  const counts = new Map<PiiKind, number>();
  for (const { v } of sample) {
    const kind = kindOfValue(String(v));
    if (kind && wanted.has(kind)) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  const [best] = [...counts.entries()].sort((a, b) => b[1] - a[1]);
  if (!best || best[1] / sample.length < minShare) return undefined;
  return `looks like ${KIND_LABEL[best[0]]} (${pct(best[1] / sample.length)} of ${sample.length.toLocaleString('en-US')} sampled values)`;
}
