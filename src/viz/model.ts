/**
 * A pipeline as a graph of datasets and steps, the view model `ferry viz` and `ferry serve` draw.
 * Sources, steps and sinks are nodes; so is every dataset a step stage stages (what the run report
 * counts rows of). A source is its own dataset at ingest (one node, with its rows and columns);
 * quarantined rows (`<source>_rejects`) get a dataset node. The `quality:` rules make a node per
 * checked dataset between the last transform and the sinks (src/viz/quality.ts), which sinks read
 * through. Inside a stage, a step that chains in place (`output` = `input`) feeds the next
 * step directly, the edge named after the dataset: the report has no count for those in-between
 * versions, and one node per version would draw `enriched` nine times.
 *
 *   const graph = pipelineGraph(loaded);     // nodes and edges, config summaries, no secrets
 *   graph.nodes.find((n) => n.id === 'dataset:sales_final@preprocess')
 *
 * Configs are shown as written: `${env:…}` references are never resolved. A field the schemas type
 * as secret shows only its references (a literal there becomes ***), and URLs lose credentials.
 */
import type { z } from 'zod';
import type { LoadedPipeline } from '../pipeline/load.js';
import type { StageName } from '../pipeline/schema.js';
import type { Column } from '../table/engine.js';
import { STEP_STAGES } from '../pipeline/schema.js';
import { stepOf, outputsOf, stepSchema } from '../table/steps/index.js';
import { sourceSchema } from '../../activities/sources/index.js';
import { sinkSchema } from '../../activities/sinks/index.js';
import { connectionSchema } from '../connect/connections.js';
import { secretPaths, maskUrl } from '../pipeline/secrets.js';
import { hasEnvRef } from '../pipeline/interpolate.js';
import { rejectsOf } from '../table/formats.js';
import { qualityNodes, type VizRule } from './quality.js';

export type NodeKind = 'source' | 'step' | 'dataset' | 'quality' | 'sink';

export type VizNode = {
  /** `source:sales`, `step:standardize:3`, `dataset:enriched@standardize`, `quality:sales_final`, `sink:warehouse`. */
  id: string;
  kind: NodeKind;
  /** The dataset, source or sink name; a step's is its type and what it writes. */
  name: string;
  /** The adapter or step type (`s3`, `join`), `dataset` for datasets. */
  type: string;
  stage: StageName;
  /** One line of config (`lake · s3://ferry-demo/raw/sales.csv`). */
  summary: string;
  /** The node's config as written (secrets masked); datasets have none. */
  config?: Record<string, unknown>;
  /** The named connection it uses, as written (references only). */
  connection?: { name: string; config: Record<string, unknown> };
  /** The dataset it produces (sources, datasets), checks (quality) or delivers (sinks). */
  dataset?: string;
  reads?: string[];
  writes?: string[];
  /** Columns the config declares (a source's `columns:`), shown until a run says more. */
  declaredColumns?: Column[];
  /** A quality node's rules, as the pipeline lists them. */
  rules?: VizRule[];
};

export type VizEdge = { from: string; to: string; dataset: string };

export type VizGraph = { pipeline: string; description?: string; file: string; nodes: VizNode[]; edges: VizEdge[] };

export function pipelineGraph(loaded: LoadedPipeline): VizGraph {
  const { spec, connections } = loaded;
  const nodes: VizNode[] = [];
  const edges: VizEdge[] = [];
  /** Which node provides each dataset at this point of the run. */
  const provider = new Map<string, string>();
  const connectionOf = (name: string) => (connections[name] ? { name, config: masked(connectionSchema, connections[name]) } : undefined);
  const addDataset = (dataset: string, stage: StageName, from: string, summary = `staged after ${stage}`) => {
    const id = `dataset:${dataset}@${stage}`;
    nodes.push({ id, kind: 'dataset', name: dataset, type: 'dataset', stage, summary, dataset });
    edges.push({ from, to: id, dataset });
    provider.set(dataset, id);
  };

  for (const [name, source] of Object.entries(spec.sources)) {
    const id = `source:${name}`;
    const config = masked(sourceSchema, source);
    const conn = 'connection' in source ? connectionOf(source.connection) : undefined;
    const declared = 'columns' in source && source.columns && typeof source.columns === 'object' && !Array.isArray(source.columns)
      ? Object.entries(source.columns as Record<string, unknown>).map(([n, t]) => ({ name: n, type: String(t) }))
      : undefined;
    nodes.push({
      id, kind: 'source', name, type: source.type, stage: 'ingest', summary: summarize(config, ['type']), config, dataset: name, writes: [name],
      ...(conn ? { connection: conn } : {}), ...(declared?.length ? { declaredColumns: declared } : {}),
    });
    // The source node is its dataset at ingest (its rows and columns); only quarantined rows get a node of their own.
    provider.set(name, id);
    if ('on_error' in source && source.on_error === 'quarantine') addDataset(rejectsOf(name), 'ingest', id);
  }

  for (const stage of STEP_STAGES) {
    const written: string[] = [];
    spec[stage].forEach((step, i) => {
      const id = `step:${stage}:${i}`;
      const reads = stepOf(step).reads(step);
      const writes = outputsOf(step);
      const config = masked(stepSchema, step);
      nodes.push({ id, kind: 'step', name: `${step.type} → ${writes.join(', ')}`, type: step.type, stage, summary: stepSummary(config), config, reads, writes });
      for (const dataset of reads) {
        const from = provider.get(dataset);
        if (from) edges.push({ from, to: id, dataset });
      }
      for (const dataset of writes) {
        provider.set(dataset, id);
        if (!written.includes(dataset)) written.push(dataset);
      }
    });
    // What the stage staged: the report counts each one's rows.
    for (const dataset of written) addDataset(dataset, stage, provider.get(dataset)!);
  }

  // Quality: sinks read a checked dataset through its rules' node (the kept rows, when it is split).
  for (const group of qualityNodes(spec.quality)) {
    const id = `quality:${group.dataset}`;
    const n = group.rules.length;
    nodes.push({
      id, kind: 'quality', name: group.dataset, type: 'quality', stage: 'quality', dataset: group.dataset, reads: group.reads, rules: group.rules,
      summary: `${n} rule${n === 1 ? '' : 's'}: ${group.rules.map((r) => r.name).join(', ')}`,
      ...(group.split ? { writes: [group.dataset, rejectsOf(group.dataset)] } : {}),
    });
    for (const dataset of group.reads) {
      const from = provider.get(dataset);
      if (from) edges.push({ from, to: id, dataset });
    }
    if (group.split) {
      addDataset(group.dataset, 'quality', id, 'the rows the rules kept');
      addDataset(rejectsOf(group.dataset), 'quality', id, 'the rows the rules rejected, with _rule and _reason');
    } else provider.set(group.dataset, id);
  }

  for (const [name, sink] of Object.entries(spec.sinks)) {
    const id = `sink:${name}`;
    const config = masked(sinkSchema, sink);
    const conn = 'connection' in sink ? connectionOf(sink.connection) : undefined;
    nodes.push({ id, kind: 'sink', name, type: sink.type, stage: 'deliver', summary: summarize(config, ['type', 'input']), config, dataset: sink.input, reads: [sink.input], ...(conn ? { connection: conn } : {}) });
    const from = provider.get(sink.input);
    if (from) edges.push({ from, to: id, dataset: sink.input });
  }

  return { pipeline: spec.name, ...(spec.description ? { description: spec.description } : {}), file: loaded.file, nodes, edges };
}

/**
 * A config as written, with what a secret field holds reduced to its `${env:…}` references (a
 * literal, which only free-text fields such as header values allow, becomes ***) and credentials
 * taken out of URLs.
 */
export function masked(schema: z.ZodType, value: unknown): Record<string, unknown> {
  const copy = structuredClone(value) as Record<string, unknown>;
  for (const { path } of secretPaths(schema, value)) {
    const parent = path.slice(0, -1).reduce<Record<string, unknown> | undefined>((o, k) => o?.[k] as Record<string, unknown> | undefined, copy);
    const key = path[path.length - 1]!;
    const v = parent?.[key];
    if (parent && typeof v === 'string') parent[key] = maskSecretText(v);
  }
  return maskUrls(copy) as Record<string, unknown>;
}

/** Keeps `${env:NAME}` references (their defaults masked) and a scheme word (`Bearer `); the rest is ***. */
export function maskSecretText(v: string): string {
  return v.split(/(\$\{env:[^}]*\})/).map((part) => {
    if (part.startsWith('${env:')) return part.replace(/:-[^}]+\}$/, ':-***}');
    return !/\S/.test(part) || /^\s*(Bearer|Basic|Token)\s+$/i.test(part) ? part : '***';
  }).join('');
}

function maskUrls(v: unknown): unknown {
  if (typeof v === 'string') return /^[a-z][a-z0-9+.-]*:\/\/[^\s]+$/i.test(v) && !hasEnvRef(v) ? safeMaskUrl(v) : v;
  if (Array.isArray(v)) return v.map(maskUrls);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, maskUrls(x)]));
  return v;
}

function safeMaskUrl(url: string): string {
  try {
    return maskUrl(url);
  } catch {
    return url;
  }
}

/**
 * A step's config at a glance. A `pii` step says what it does to each column (`email: hash ·
 * phone: mask · ssn: drop`): the methods' options and keys are in its details.
 */
export function stepSummary(config: Record<string, unknown>): string {
  const columns = config.columns;
  if (config.type === 'pii' && columns && typeof columns === 'object' && !Array.isArray(columns)) {
    const methods = Object.entries(columns).map(([column, m]) => `${column}: ${m && typeof m === 'object' ? Object.keys(m)[0] : String(m)}`);
    const text = methods.join(' · ');
    return text.length > 90 ? `${text.slice(0, 89)}…` : text;
  }
  return summarize(config, ['type', 'input', 'output', 'left', 'rejects']);
}

/** `key: value · key: value`, short: the config at a glance. */
export function summarize(config: Record<string, unknown>, skip: string[], max = 90): string {
  const text = Object.entries(config)
    .filter(([k, v]) => !skip.includes(k) && k !== 'retry' && !empty(v))
    .map(([k, v]) => `${k}: ${inline(v)}`)
    .join(' · ');
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

const empty = (v: unknown): boolean => v === undefined || v === null || (typeof v === 'object' && Object.keys(v).length === 0);

function inline(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(inline).join(', ')}]`;
  if (v && typeof v === 'object') return `{ ${Object.entries(v).map(([k, x]) => `${k}: ${inline(x)}`).join(', ')} }`;
  return String(v);
}
