/**
 * The plan slice each activity receives: its own source or sink spec, the connections that spec
 * names, its stage's steps, the pipeline name and the settings it needs — never the whole plan, so
 * history holds the plan once (the workflow input) and an activity sees only what it uses.
 * Pure functions (workflow code).
 *
 *   await ingest(ingestSlice(plan, 'customers'));
 */
import type { RunPlan, RunContext, IngestInput, DeliverInput, TransformInput, DatasetRef } from '../src/run.js';
import type { ConnectionSpec } from '../src/connect/connections.js';

type Spec = RunPlan['spec']['sources'][string] | RunPlan['spec']['sinks'][string];

/** The connections a source or sink names (today at most one: its `connection`). */
export function connectionsOf(plan: RunPlan, spec: Spec): Record<string, ConnectionSpec> {
  const name = 'connection' in spec ? spec.connection : undefined;
  const conn = name ? plan.connections[name] : undefined;
  return name && conn ? { [name]: conn } : {};
}

/** On a `ferry retry`: the run it continues (see RunResume.generation); absent on any other run. */
const continues = (plan: RunPlan): { continues?: string } =>
  plan.resume ? { continues: plan.resume.generation ?? plan.resume.fromRunId } : {};

export function ingestSlice(plan: RunPlan, run: RunContext, dataset: string): IngestInput {
  const source = plan.spec.sources[dataset]!;
  return { pipeline: plan.pipeline, run, dataset, source, connections: connectionsOf(plan, source), stallTimeout: plan.spec.settings.stall_timeout, ...continues(plan) };
}

export function transformSlice(plan: RunPlan, run: RunContext, stage: TransformInput['stage'], inputs: Record<string, DatasetRef>): TransformInput {
  return { pipeline: plan.pipeline, run, stage, steps: plan.spec[stage], inputs };
}

export function deliverSlice(plan: RunPlan, run: RunContext, sink: string, input: DatasetRef, runStartedAt: string): DeliverInput {
  const spec = plan.spec.sinks[sink]!;
  return { pipeline: plan.pipeline, run, sink, spec, connections: connectionsOf(plan, spec), input, runStartedAt, stallTimeout: plan.spec.settings.stall_timeout, ...continues(plan) };
}

/** Where a sink delivers, told from its spec alone (the adapter reports the resolved target once it ran). */
export function targetOf(spec: RunPlan['spec']['sinks'][string]): string {
  const s = spec as Record<string, unknown>;
  if (typeof s.table === 'string') return `${spec.type} ${s.table}`;
  if (typeof s.bucket === 'string') return `s3://${s.bucket}/${String(s.key ?? '')}`;
  const via = typeof s.connection === 'string' ? ` ${s.connection}` : '';
  return `${spec.type}${via} ${String(s.path ?? '')}`.trim();
}
