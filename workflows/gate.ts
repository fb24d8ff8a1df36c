/**
 * The human gate (workflow code): a run whose quality rules ask for a decision waits, durably, for
 * `ferry approve|reject|quarantine <id>` — or for the timeout, then takes the default decision.
 * While it waits, the report's status is 'waiting' and `report.gate` says since when and why.
 */
import { ApplicationFailure } from '@temporalio/workflow';
import type { Decision, RunReport, RuleOutcome } from '../src/run.js';
import type { QualitySpec } from '../src/quality/schema.js';

export async function awaitDecision(_report: RunReport, _ask: QualitySpec['ask'], _failed: RuleOutcome[]): Promise<Decision> {
  throw ApplicationFailure.nonRetryable('on_fail: ask is not implemented yet', 'CONFIG');
}
