/**
 * Lineage from the pipeline's graph: which sources and which steps made each dataset. A source's
 * dataset comes from its source; a step's output from its inputs' lineage plus the step itself,
 * named `<stage>[<index>] <type>` (as errors name it); a dataset the quality stage split adds
 * `quality`. Worked out from the spec, not traced: it says what the pipeline does to make it.
 *
 *   lineageOf({ sources: { sales: 'file', rates: 'http' }, standardize: [], preprocess: [join] }, ['ingest'])
 *   // enriched → { sources: ['rates (http)', 'sales (file)'], steps: ['preprocess[0] join'] }
 */
import { stepOf, outputsOf, type StepSpec } from '../table/steps/index.js';
import type { FinishRunInput } from '../run.js';

export type Lineage = { sources: string[]; steps: string[] };
type Step = { order: number; name: string };
type Trace = { sources: Set<string>; steps: Map<string, Step> };

const STAGE_ORDER = { standardize: 0, preprocess: 1, quality: 2 } as const;

/**
 * The lineage of every dataset the graph and the staged list name. `staged`: the run's staged
 * datasets (extra datasets of a source, e.g. `sales_rejects`, are traced to the source whose name
 * they start with; a dataset the quality stage staged gets `quality`).
 */
export function lineageOf(graph: FinishRunInput['graph'], staged: { stage: string; dataset: string }[] = []): Record<string, Lineage> {
  const traces = new Map<string, Trace>();
  const sourceNames = Object.keys(graph.sources).sort((a, b) => b.length - a.length);
  for (const [name, type] of Object.entries(graph.sources)) traces.set(name, { sources: new Set([`${name} (${type})`]), steps: new Map() });
  for (const s of staged.filter((x) => x.stage === 'ingest' && !traces.has(x.dataset))) {
    const parent = sourceNames.find((n) => s.dataset.startsWith(`${n}_`) || s.dataset.startsWith(`${n}.`));
    traces.set(s.dataset, parent ? copy(traces.get(parent)!) : { sources: new Set([s.dataset]), steps: new Map() });
  }
  for (const stage of ['standardize', 'preprocess'] as const) {
    (graph[stage] as StepSpec[]).forEach((spec, index) => {
      const merged: Trace = { sources: new Set(), steps: new Map() };
      for (const input of stepOf(spec).reads(spec)) {
        const t = traces.get(input);
        if (!t) continue; // an unknown input fails validation; nothing to trace
        t.sources.forEach((s) => merged.sources.add(s));
        t.steps.forEach((v, k) => merged.steps.set(k, v));
      }
      const name = `${stage}[${index}] ${spec.type}`;
      merged.steps.set(name, { order: STAGE_ORDER[stage] * 1e6 + index, name });
      for (const out of outputsOf(spec)) traces.set(out, copy(merged));
    });
  }
  for (const s of staged.filter((x) => x.stage === 'quality')) {
    const base = traces.get(s.dataset) ?? traces.get(s.dataset.replace(/_rejects$/, ''));
    const t = base ? copy(base) : { sources: new Set<string>(), steps: new Map<string, Step>() };
    t.steps.set('quality', { order: STAGE_ORDER.quality * 1e6, name: 'quality' });
    traces.set(s.dataset, t);
  }
  return Object.fromEntries([...traces].map(([dataset, t]) => [dataset, {
    sources: [...t.sources].sort(),
    steps: [...t.steps.values()].sort((a, b) => a.order - b.order).map((s) => s.name),
  }]));
}

const copy = (t: Trace): Trace => ({ sources: new Set(t.sources), steps: new Map(t.steps) });
