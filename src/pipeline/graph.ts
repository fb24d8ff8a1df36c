/**
 * Checks what zod cannot: every dataset a step or sink reads exists by then, outputs do not clash
 * with sources, and every named connection exists and is of the kind the adapter needs.
 */
import type { PipelineSpec } from './schema.js';
import type { ConnectionSpec } from '../connect/connections.js';
import { SOURCES } from '../../activities/sources/index.js';
import { SINKS } from '../../activities/sinks/index.js';
import { stepOf, outputsOf } from '../table/steps/index.js';
import { STEP_STAGES } from './schema.js';
import { rejectsOf } from '../table/formats.js';

export type GraphIssue = { path: (string | number)[]; message: string };

export function checkGraph(spec: PipelineSpec, connections: Record<string, ConnectionSpec>): GraphIssue[] {
  const issues: GraphIssue[] = [];
  const sources = new Set(Object.keys(spec.sources));
  const known = new Set(sources);
  for (const [name, source] of Object.entries(spec.sources)) {
    if ('on_error' in source && source.on_error === 'quarantine') known.add(rejectsOf(name));
  }
  const list = () => [...known].join(', ');

  const checkConnection = (path: (string | number)[], name: string, kind: string | undefined) => {
    const conn = connections[name];
    if (!conn) issues.push({ path, message: `unknown connection '${name}'; defined: ${Object.keys(connections).join(', ') || 'none'}` });
    else if (kind && conn.type !== kind) issues.push({ path, message: `connection '${name}' is of type ${conn.type}, this adapter needs ${kind}` });
  };

  for (const [name, source] of Object.entries(spec.sources)) {
    if ('connection' in source) checkConnection(['sources', name, 'connection'], source.connection, SOURCES[source.type].connectionKind);
  }
  for (const stage of STEP_STAGES) {
    spec[stage].forEach((s, i) => {
      const step = stepOf(s);
      for (const input of step.reads(s)) {
        if (!known.has(input)) issues.push({ path: [stage, i], message: `${s.type} reads dataset '${input}', which does not exist at this point; known: ${list()}` });
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
    if (!known.has(sink.input)) issues.push({ path: ['sinks', name, 'input'], message: `unknown dataset '${sink.input}'; known: ${list()}` });
    if ('connection' in sink) checkConnection(['sinks', name, 'connection'], sink.connection, SINKS[sink.type].connectionKind);
  }
  return issues;
}
