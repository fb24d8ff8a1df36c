/**
 * The human gate (workflow code): a run whose quality rules ask for a decision waits, durably, for
 * `ferry approve|reject|quarantine <id>` — or for the timeout, then takes the default decision.
 * While it waits, the report's status is 'waiting', `report.gate` says since when and why, the
 * search attribute FerryGate is 'waiting' (so `ferry runs --status waiting` and the Temporal UI find
 * it) and the memo `gate` carries the failing rules with their sample rows (readable with no worker).
 *
 * The decision arrives as the Temporal Update `decide`, whose handler is registered when the run
 * starts (acceptDecisions, from pipeline.ts): a decision sent before the run reaches the gate, or a
 * second one, is refused by the validator with a sentence that says why, instead of the SDK's
 * "no handler". The wait is `condition()` with the timeout: both survive worker and server restarts.
 *
 *   acceptDecisions(report);                                     // at the start of the run
 *   const decision = await awaitDecision(report, spec.ask, failed); // in the quality stage
 */
import { condition, defineUpdate, isCancellation, setHandler, upsertMemo, upsertSearchAttributes } from '@temporalio/workflow';
import { msToNumber } from '@temporalio/common/lib/time.js';
import type { Decision, GateState, RunReport, RuleOutcome } from '../src/run.js';
import type { DecisionKind, QualitySpec } from '../src/quality/schema.js';
import { FERRY_GATE } from '../src/search-attributes.js';

/** What `ferry approve|reject|quarantine` sends: the decision, who made it (`--by`), and why. */
export type DecideInput = { decision: string; by: string; comment?: string };

/** The Update a person's decision arrives by; it returns the decision as recorded. */
export const decideUpdate = defineUpdate<Decision, [DecideInput]>('decide');

/** Kept in the memo while the run waits: what `ferry runs --status waiting` shows without a worker. */
export type GateMemo = GateState & { failed: RuleOutcome[] };

const KINDS: readonly DecisionKind[] = ['approve', 'reject', 'quarantine'];
/** A comment is kept in the report and the history: a sentence or a ticket link, not a document. */
const MAX_COMMENT = 1000;
/** Sample rows per rule kept in the memo (what `ferry runs --status waiting` shows); the report keeps them all. */
const MEMO_SAMPLES = 3;

/**
 * Registers the `decide` handler. Its validator refuses (the caller gets the message, the run's
 * history records nothing): an unknown decision, a run that is not waiting (yet, or any more), a
 * second decision. The handler records the decision in `report.decision`, which ends the wait.
 */
export function acceptDecisions(report: RunReport): void {
  setHandler(decideUpdate, (input) => {
    const decision: Decision = { decision: input.decision as DecisionKind, by: input.by.trim(), at: new Date().toISOString(), ...(input.comment ? { comment: input.comment } : {}) };
    report.decision = decision;
    return decision;
  }, { validator: (input) => refusal(report, input) });
}

/** Throws the reason a decision cannot be taken now; returns when it can. */
function refusal(report: RunReport, input: DecideInput): void {
  if (!input || !KINDS.includes(input.decision as DecisionKind)) {
    throw new Error(`unknown decision '${String(input?.decision)}': expected approve, reject or quarantine`);
  }
  if (typeof input.by !== 'string' || !input.by.trim()) throw new Error('a decision needs who made it (by)');
  if (input.comment !== undefined && (typeof input.comment !== 'string' || input.comment.length > MAX_COMMENT)) throw new Error(`a comment is text of at most ${MAX_COMMENT} characters`);
  const d = report.decision;
  if (d) throw new Error(`run ${report.workflowId} was already decided: ${d.decision} by ${d.by} at ${d.at}${d.timedOut ? ' (no decision before the timeout)' : ''}`);
  if (report.status !== 'waiting') {
    const where = report.status === 'running' ? `it is in stage ${report.stage}` : `it has ${report.status}`;
    throw new Error(`run ${report.workflowId} is not waiting for a decision; ${where}`);
  }
}

/**
 * Waits for a decision on the failed rules that ask for one, or until `ask.timeout`, then takes
 * `ask.default` (by 'timeout', timedOut). The run is marked waiting meanwhile; `report.gate` is
 * kept after the decision (when it was asked, the deadline, the rules), `report.decision` says
 * what was decided, by whom and when.
 */
export async function awaitDecision(report: RunReport, ask: QualitySpec['ask'], failed: RuleOutcome[]): Promise<Decision> {
  const askedAt = new Date();
  const timeoutMs = ask.timeout ? msToNumber(ask.timeout as Parameters<typeof msToNumber>[0]) : undefined;
  const asking = failed.filter((o) => o.onFail === 'ask');
  const gate: GateState = {
    askedAt: askedAt.toISOString(),
    ...(timeoutMs !== undefined ? { deadline: new Date(askedAt.getTime() + timeoutMs).toISOString() } : {}),
    default: ask.default,
    rules: asking.map((o) => o.name),
  };
  report.gate = gate;
  report.status = 'waiting';
  upsertSearchAttributes([{ key: FERRY_GATE, value: 'waiting' }]);
  upsertMemo({ gate: { ...gate, failed: asking.map((o) => (o.samples ? { ...o, samples: o.samples.slice(0, MEMO_SAMPLES) } : o)) } satisfies GateMemo });

  const decidedInTime = () => report.decision !== undefined;
  let decided: boolean;
  try {
    // Without a timeout condition() resolves to nothing: only a decision ends that wait.
    decided = timeoutMs === undefined ? (await condition(decidedInTime), true) : await condition(decidedInTime, timeoutMs, { summary: `decision on ${gate.rules.join(', ')}, else ${ask.default}` });
  } catch (err) {
    // Cancelled while waiting (`ferry cancel`): no longer listed as waiting, even without the status filter.
    if (isCancellation(err)) upsertSearchAttributes([{ key: FERRY_GATE, value: 'cancelled' }]);
    throw err;
  }
  if (!decided) report.decision = { decision: ask.default, by: 'timeout', at: new Date().toISOString(), timedOut: true };
  report.status = 'running';
  upsertSearchAttributes([{ key: FERRY_GATE, value: report.decision!.decision }]);
  return report.decision!;
}
