/**
 * Checks what zod cannot: every dataset a step or sink reads exists by then, outputs do not clash
 * with sources, and every named connection exists and is of the kind the adapter needs.
 *
 * It also runs on a pipeline that failed zod, entry by entry (`undefined` marks a source, step or
 * sink zod rejected), so `ferry validate` reports graph and connection problems in the same pass.
 * A rejected step whose raw fields still name what it writes (`output`, else `input` or `left`;
 * `rejects`) is a `RejectedStep`: those names count as written. After a rejected step whose
 * outputs are unknown, "does not exist" is no longer reported.
 */
import type { PipelineSpec } from './schema.js';
import type { ConnectionSpec } from '../connect/connections.js';
import { SOURCES } from '../../activities/sources/index.js';
import { SINKS } from '../../activities/sinks/index.js';
import { stepOf, outputsOf } from '../table/steps/index.js';
import { STEP_STAGES } from './schema.js';
import { rejectsOf } from '../table/formats.js';
import { placeholders } from '../../activities/sources/http-for-each.js';
import { childDatasets } from '../../activities/sources/http.js';
import { checkQuality, type QualityGraph } from './quality-refs.js';

export type GraphIssue = { path: (string | number)[]; message: string };

type Source = PipelineSpec['sources'][string];
type Step = PipelineSpec['standardize'][number];
type Sink = PipelineSpec['sinks'][string];

/** A step zod rejected, with the datasets its raw fields say it writes. */
export type RejectedStep = { rejected: true; writes: string[] };

export type GraphSpec = {
  sources: Record<string, Source | undefined>;
  standardize: (Step | RejectedStep | undefined)[];
  preprocess: (Step | RejectedStep | undefined)[];
  sinks: Record<string, Sink | undefined>;
  quality?: QualityGraph;
};

/**
 * `connections`: `undefined` marks a connection that is defined but invalid (its own issue says
 * why). `connectionsKnown: false` when the connections file could not be read at all.
 */
export function checkGraph(spec: GraphSpec, connections: Record<string, ConnectionSpec | undefined>, options: { connectionsKnown?: boolean } = {}): GraphIssue[] {
  const issues: GraphIssue[] = [];
  const sources = new Set(Object.keys(spec.sources));
  const known = new Set(sources);
  for (const [name, source] of Object.entries(spec.sources)) {
    if (source && 'on_error' in source && source.on_error === 'quarantine') known.add(rejectsOf(name));
    if (source?.type === 'http') {
      for (const child of childDatasets(name, source.children)) {
        if (sources.has(child)) issues.push({ path: ['sources', name, 'children'], message: `child dataset '${child}' is also a source: rename one of them` });
        known.add(child);
      }
    }
  }
  issues.push(...checkForEach(spec.sources));
  let complete = true;
  const list = () => [...known].join(', ');

  const checkConnection = (path: (string | number)[], name: string, kind: string | undefined) => {
    if (options.connectionsKnown === false) return;
    const conn = connections[name];
    if (!(name in connections)) issues.push({ path, message: `unknown connection '${name}'; defined: ${Object.keys(connections).join(', ') || 'none'}` });
    else if (conn && kind && conn.type !== kind) issues.push({ path, message: `connection '${name}' is of type ${conn.type}, this adapter needs ${kind}` });
  };

  for (const [name, source] of Object.entries(spec.sources)) {
    if (source && 'connection' in source) checkConnection(['sources', name, 'connection'], source.connection, SOURCES[source.type].connectionKind);
  }
  for (const stage of STEP_STAGES) {
    spec[stage].forEach((s, i) => {
      if (!s || 'rejected' in s) {
        if (s) s.writes.forEach((w) => known.add(w));
        else complete = false;
        return;
      }
      const step = stepOf(s);
      for (const input of step.reads(s)) {
        if (complete && !known.has(input)) issues.push({ path: [stage, i], message: `${s.type} reads dataset '${input}', which does not exist at this point; known: ${list()}` });
      }
      for (const output of outputsOf(s)) {
        // Chaining in place (output = input) is fine; silently replacing another source is not.
        if (sources.has(output) && !step.reads(s).includes(output)) {
          issues.push({ path: [stage, i], message: `${s.type} writes '${output}', which is a source dataset: give the output another name` });
        }
        known.add(output);
      }
    });
  }
  // Quality reads the datasets after preprocess and adds `<dataset>_rejects` for the sinks.
  issues.push(...checkQuality(spec.quality, known, complete));
  for (const [name, sink] of Object.entries(spec.sinks)) {
    if (!sink) continue;
    if (complete && !known.has(sink.input)) issues.push({ path: ['sinks', name, 'input'], message: `unknown dataset '${sink.input}'; known: ${list()}` });
    if ('connection' in sink) checkConnection(['sinks', name, 'connection'], sink.connection, SINKS[sink.type].connectionKind);
  }
  return issues;
}

/**
 * `for_each`: the parent is another source of the pipeline (sources wait for their parents, so a
 * cycle would wait forever), and every param is used as `{name}` in the path or query, and every
 * `{name}` there is a param.
 */
function checkForEach(sources: GraphSpec['sources']): GraphIssue[] {
  const issues: GraphIssue[] = [];
  const parentOf = (name: string): string | undefined => {
    const s = sources[name];
    return s?.type === 'http' ? s.for_each?.dataset : undefined;
  };
  for (const [name, source] of Object.entries(sources)) {
    if (source?.type !== 'http') continue;
    const at = ['sources', name, 'for_each'];
    const used = new Set([...placeholders(source.path), ...Object.values(source.query).flatMap((v) => (typeof v === 'string' ? placeholders(v) : []))]);
    if (!source.for_each) continue;
    const { dataset, params } = source.for_each;
    if (dataset === name) issues.push({ path: [...at, 'dataset'], message: `source '${name}' cannot take its requests from itself` });
    else if (!(dataset in sources)) issues.push({ path: [...at, 'dataset'], message: `'${dataset}' is not a source of this pipeline; sources: ${Object.keys(sources).join(', ')}` });
    else {
      const chain = [name];
      for (let cur = parentOf(dataset) === undefined ? undefined : dataset; cur !== undefined && !chain.includes(cur); cur = parentOf(cur)) chain.push(cur);
      const last = chain[chain.length - 1]!;
      if (chain.length > 1 && parentOf(last) === name) issues.push({ path: [...at, 'dataset'], message: `for_each cycle: ${[...chain, name].join(' → ')} (each waits for the next)` });
    }
    for (const param of Object.keys(params)) {
      if (!used.has(param)) issues.push({ path: [...at, 'params', param], message: `{${param}} does not appear in path or query, so the request would not change per row` });
    }
    for (const name2 of used) {
      if (!(name2 in params)) issues.push({ path: ['sources', name, 'path'], message: `{${name2}} is not a for_each param; params: ${Object.keys(params).join(', ') || 'none'}` });
    }
  }
  return issues;
}
