/**
 * How the CLI speaks about the human gate: the lines of a run that waits for a decision (`ferry
 * status`, `ferry runs --status waiting`) and what a decision does next (`ferry approve|reject|quarantine`).
 *
 *   waitingLines('retail-2024-01-05', gate, failed)
 *   //   waiting for a decision since 2024-01-05T06:00:00Z; reject at 2024-01-06T06:00:00Z unless decided
 *   //   ✖ not_null:sales.id  3 of 1,000 rows have NULL in id
 *   //       sale_id=S9, id=null, _reason=id is NULL
 *   //   decide: ferry approve|reject|quarantine retail-2024-01-05 [--comment TEXT]
 */
import type { Decision, GateState, RuleOutcome } from '../run.js';
import { dim, red, formatMs } from './render.js';

/** Sample rows shown per rule (the report keeps quality.samples of them). */
const SAMPLES = 3;

export function waitingLines(id: string, gate: GateState, failed: RuleOutcome[], now = Date.now()): string[] {
  const since = gate.askedAt ? `since ${gate.askedAt} (${formatMs(now - Date.parse(gate.askedAt))})` : '';
  const then = gate.deadline ? `${gate.default} at ${gate.deadline} unless decided` : 'no timeout: it waits until decided';
  const lines = [`  ${red('waiting for a decision')} ${since}; ${then}`];
  for (const o of failed) {
    lines.push(`  ✖ ${o.name}  ${o.message}`);
    for (const row of (o.samples ?? []).slice(0, SAMPLES)) lines.push(`      ${dim(sampleText(row))}`);
  }
  if (failed.length === 0 && gate.rules.length) lines.push(`  rules: ${gate.rules.join(', ')}`);
  lines.push(`  decide: ferry approve|reject|quarantine ${id} [--comment TEXT]`);
  return lines;
}

/** One sample row as `column=value` pairs (NULL as null). */
export const sampleText = (row: Record<string, string | null>): string =>
  Object.entries(row).map(([k, v]) => `${k}=${v === null ? 'null' : v}`).join(', ');

const DONE: Record<Decision['decision'], string> = { approve: 'approved', reject: 'rejected', quarantine: 'quarantined' };

/** "approved retail-… by ada: …" and what the run does now. */
export function decidedText(id: string, d: Decision, failed: RuleOutcome[]): string {
  const who = `${DONE[d.decision]} ${id} by ${d.by} at ${d.at}${d.comment ? ` (${d.comment})` : ''}`;
  return `${who}\n  ${nextStep(d, failed)}\n  follow it: ferry status ${id}\n`;
}

function nextStep(d: Decision, failed: RuleOutcome[]): string {
  if (d.decision === 'reject') return 'the run fails now ("quality gate: rejected …"); no sink is written';
  if (d.decision === 'approve') return 'the run goes on to deliver every row; the failing rules and their rows stay listed in the report';
  const rows = failed.filter((o) => o.kind === 'row' && (o.failed ?? 0) > 0);
  if (rows.length === 0) return 'no row breaks a row rule (the failing rules are table rules): nothing is set aside, every row is delivered';
  const sets = [...new Set(rows.map((o) => o.dataset))].map((ds) => `${ds} → ${ds}_rejects`).join(', ');
  return `the run delivers the rows that pass and sets the rows that broke the rules aside (${sets})`;
}
