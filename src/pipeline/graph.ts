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
  }
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
  for (const [name, sink] of Object.entries(spec.sinks)) {
    if (!sink) continue;
    if (complete && !known.has(sink.input)) issues.push({ path: ['sinks', name, 'input'], message: `unknown dataset '${sink.input}'; known: ${list()}` });
    if ('connection' in sink) checkConnection(['sinks', name, 'connection'], sink.connection, SINKS[sink.type].connectionKind);
  }
  return issues;
}
