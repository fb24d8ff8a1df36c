/**
 * The parts of a run's final report about what went in and out and what was checked: the stage
 * table with rows in → out, one line per quality rule (✓ passed, ✗ failed error, ! failed warning,
 * – not evaluated) with a few sample rows of a failure, the decision at the gate and by whom, and
 * where report.json is. Pure: `ferry run --wait` and `ferry status` print it.
 *
 *   lines.push(...stageTable(report), ...qualityLines(report));
 */
import type { RunReport, RuleOutcome } from '../run.js';
import { stageFlow } from '../audit/flow.js';
import { formatMs, dim, red, green, bold } from './render.js';

/** Sample rows shown per failed rule (report.json has them all). */
export const SAMPLE_ROWS = 3;
const MAX_VALUE = 40;

/** One line per stage: name, status, duration, rows in → out, rows per dataset. */
export function stageTable(report: RunReport): string[] {
  const flows = stageFlow(report);
  const inOut = flows.map((f) => (f.in === undefined && f.out === undefined ? '' : `${f.in ?? '–'} → ${f.out ?? '–'}`));
  const width = Math.max(12, ...inOut.map((s) => s.length));
  return [
    `  ${'stage'.padEnd(12)} ${'status'.padEnd(10)} ${'time'.padStart(7)}  ${'rows in → out'.padStart(width)}  per dataset`,
    ...report.stages.map((s, i) => {
      const f = flows[i]!;
      const per = s.datasets.map((d) => `${d.dataset} ${d.rows}`).join(' · ');
      const quarantined = f.quarantined ? ` (${f.quarantined} quarantined)` : '';
      return `  ${s.stage.padEnd(12)} ${s.status.padEnd(10)} ${formatMs(s.durationMs).padStart(7)}  ${inOut[i]!.padStart(width)}  ${dim(per)}${quarantined}`.trimEnd();
    }),
  ];
}

const ICON = (o: RuleOutcome): string =>
  o.status === 'passed' ? green('✓') : o.status === 'not evaluated' ? '–' : o.severity === 'warn' ? '!' : red('✗');

/** The quality stage: a summary line, one line per rule, sample rows of failures; the decision. */
export function qualityLines(report: RunReport): string[] {
  const q = report.quality;
  const lines: string[] = [];
  if (q) {
    const count = (status: RuleOutcome['status']) => q.outcomes.filter((o) => o.status === status).length;
    const anomalies = q.outcomes.filter((o) => o.rule === 'anomaly' && o.status === 'failed').length;
    const parts = [`${count('passed')} passed`, `${count('failed')} failed`, ...(count('not evaluated') ? [`${count('not evaluated')} not evaluated`] : [])];
    lines.push('', `  quality ${bold(q.verdict)} · ${q.outcomes.length} rule${q.outcomes.length === 1 ? '' : 's'}: ${parts.join(', ')}${anomalies ? ` · ${anomalies} anomal${anomalies === 1 ? 'y' : 'ies'}` : ''}`);
    const width = Math.max(...q.outcomes.map((o) => o.name.length));
    for (const o of q.outcomes) {
      const action = o.status === 'failed' && o.severity === 'error' && o.onFail !== 'fail' ? dim(` [${o.onFail}]`) : '';
      lines.push(`    ${ICON(o)} ${o.name.padEnd(width)}  ${o.message}${action}`);
      if (o.status === 'failed') lines.push(...(o.samples ?? []).slice(0, SAMPLE_ROWS).map((row) => `        ${dim(sampleText(row))}`));
    }
  }
  const d = report.decision;
  if (d) {
    const how = d.timedOut ? ` (no decision before the timeout: the default)` : '';
    lines.push('', `  decision ${bold(d.decision)} by ${d.by} at ${d.at}${how}${d.comment ? `: ${d.comment}` : ''}`);
  }
  return lines;
}

/** A sample row: `id=17 amount=-3 — amount -3 is below 0` (long values cut, NULL as NULL). */
export function sampleText(row: Record<string, string | null>): string {
  const cut = (v: string | null) => (v === null ? 'NULL' : v.length > MAX_VALUE ? `${v.slice(0, MAX_VALUE - 1)}…` : v);
  const values = Object.entries(row).filter(([k]) => !k.startsWith('_')).map(([k, v]) => `${k}=${cut(v)}`).join(' ');
  return row._reason ? `${values} — ${row._reason}` : values;
}

/** Where the run's report.json is (when the run was recorded). */
export function recordLines(report: RunReport): string[] {
  return report.record?.reportUri ? [`  report: ${report.record.reportUri}`] : [];
}
