/**
 * What the quality stage's outcomes mean for the run: an error rule that failed with on_fail `fail`
 * stops it; else one with `ask` waits for a person; else one with `quarantine` splits the data.
 * Warnings and rules that could not be evaluated never stop anything. Pure (workflow code uses it).
 *
 *   verdictOf(outcomes)   // 'pass' | 'fail' | 'quarantine' | 'ask'
 */
import type { RuleOutcome, Verdict } from '../run.js';

export function verdictOf(outcomes: RuleOutcome[]): Verdict {
  const failed = outcomes.filter((o) => o.status === 'failed' && o.severity === 'error');
  if (failed.some((o) => o.onFail === 'fail')) return 'fail';
  if (failed.some((o) => o.onFail === 'ask')) return 'ask';
  if (failed.some((o) => o.onFail === 'quarantine')) return 'quarantine';
  return 'pass';
}

/** The error rules that failed, for messages: "not_null:sales.id: 3 of 1,000 rows have NULL in id". */
export const failedErrors = (outcomes: RuleOutcome[]): RuleOutcome[] => outcomes.filter((o) => o.status === 'failed' && o.severity === 'error');
