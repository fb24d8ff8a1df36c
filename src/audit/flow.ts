/**
 * Rows in and out of every stage and dataset of a run, worked out from its report alone (so
 * `ferry status` can show it for any run, old ones included, and report.json carries it):
 *
 * - ingest: in = out = the rows read and staged per source (and its extra datasets);
 * - standardize, preprocess: in = the rows of every dataset the stage was given (all the run had
 *   so far), out = the rows of what it wrote; a dataset it rewrote shows its rows before and after;
 * - quality: in = the rows of the datasets checked, out = the rows kept, quarantined = the rows in
 *   `<dataset>_rejects` (in = out + quarantined for a quarantined dataset; an approved run keeps all);
 * - deliver: per sink, in = the rows of its input, out = the rows the sink reported writing.
 *
 *   stageFlow(report)   // [{ stage: 'ingest', in: 1000, out: 1000, datasets: [{ dataset: 'sales', in: 1000, out: 1000 }] }, …]
 */
import type { RunReport, StageStatus } from '../run.js';
import type { StageName } from '../pipeline/schema.js';

export type DatasetFlow = { dataset: string; in?: number; out?: number };
export type StageFlow = { stage: StageName; status: StageStatus; durationMs?: number; in?: number; out?: number; quarantined?: number; datasets: DatasetFlow[] };

const sum = (xs: (number | undefined)[]): number => xs.reduce<number>((n, x) => n + (x ?? 0), 0);

export function stageFlow(report: RunReport): StageFlow[] {
  const current = new Map<string, number>();
  const flows: StageFlow[] = [];
  for (const s of report.stages) {
    const base = { stage: s.stage, status: s.status, ...(s.durationMs !== undefined ? { durationMs: s.durationMs } : {}) };
    // Nothing staged by a stage that stopped (failed, cancelled, terminated before a dataset): rows unknown, not 0.
    const stoppedEmpty = s.stage !== 'deliver' && s.stage !== 'quality' && s.datasets.length === 0 && s.status !== 'completed' && s.status !== 'reused';
    if (s.status === 'pending' || s.status === 'skipped' || stoppedEmpty) {
      flows.push({ ...base, datasets: [] });
      continue;
    }
    if (s.stage === 'ingest') {
      const datasets = s.datasets.map((d) => ({ dataset: d.dataset, in: d.rows, out: d.rows }));
      for (const d of s.datasets) current.set(d.dataset, d.rows);
      flows.push({ ...base, in: sum(datasets.map((d) => d.in)), out: sum(datasets.map((d) => d.out)), datasets });
    } else if (s.stage === 'standardize' || s.stage === 'preprocess') {
      const given = sum([...current.values()]);
      const datasets = s.datasets.map((d) => ({ dataset: d.dataset, ...(current.has(d.dataset) ? { in: current.get(d.dataset) } : {}), out: d.rows }));
      for (const d of s.datasets) current.set(d.dataset, d.rows);
      flows.push({ ...base, in: given, out: sum(datasets.map((d) => d.out)), datasets });
    } else if (s.stage === 'quality') {
      const flow = qualityFlow(report, s.datasets, current, base);
      // The gate stopped the run (or it is still deciding): nothing went out.
      flows.push(s.status === 'completed' ? flow : { ...base, ...(flow.in !== undefined ? { in: flow.in } : {}), datasets: flow.datasets.filter((d) => d.in !== undefined).map(({ dataset, in: n }) => ({ dataset, in: n })) });
    } else {
      const datasets = report.sinks.map((sink) => {
        const input = s.datasets.find((d) => d.dataset.endsWith(` → ${sink.sink}`));
        return { dataset: input?.dataset ?? `→ ${sink.sink}`, ...(input ? { in: input.rows } : {}), ...(sink.rows !== undefined ? { out: sink.rows } : {}) };
      });
      flows.push({ ...base, in: sum(datasets.map((d) => d.in)), out: sum(datasets.map((d) => d.out)), datasets });
    }
  }
  return flows;
}

function qualityFlow(report: RunReport, listed: RunReport['stages'][number]['datasets'], current: Map<string, number>, base: Omit<StageFlow, 'datasets'>): StageFlow {
  const checked = [...new Set((report.quality?.outcomes ?? []).map((o) => o.dataset))];
  const rowsOf = (name: string) => listed.find((d) => d.dataset === name)?.rows;
  const datasets: DatasetFlow[] = [];
  let quarantined = 0;
  for (const dataset of checked) {
    const before = current.get(dataset);
    const kept = rowsOf(dataset) ?? before; // not split (or approved): every row goes on
    const rejects = rowsOf(`${dataset}_rejects`);
    datasets.push({ dataset, ...(before !== undefined ? { in: before } : {}), ...(kept !== undefined ? { out: kept } : {}) });
    if (rejects !== undefined) {
      datasets.push({ dataset: `${dataset}_rejects`, out: rejects });
      if (rowsOf(dataset) !== undefined) quarantined += rejects;
    }
  }
  for (const d of listed) current.set(d.dataset, d.rows);
  return { ...base, in: sum(datasets.map((d) => d.in)), out: sum(datasets.filter((d) => checked.includes(d.dataset)).map((d) => d.out)), quarantined, datasets };
}
