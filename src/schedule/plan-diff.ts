/**
 * Has the deployed plan changed? A stable hash of everything a schedule deploys (apply says
 * `unchanged` when it matches), and the list of what differs between two plans, by top-level key
 * and by dataset (`describe` says `differs from <file>: sources.sales, schedule`). Pure functions.
 *
 *   planHash({ plan, spec, policies, taskQueue })          // 'sha256:…'
 *   planDiff(deployed, fromFile)                             // ['schedule', 'sinks.lake (added)']
 *   planDrift(id, deployed, fromFile, file)                  // 'up to date with p.yaml'
 */
import { createHash } from 'node:crypto';
import type { RunPlan } from '../run.js';
import { pipelineSchema } from '../pipeline/schema.js';

/** The spec's keys in the order a pipeline file writes them. */
const SPEC_KEYS = Object.keys(pipelineSchema.shape);

/** JSON with object keys sorted at every level (and undefined dropped), so equal values hash equal. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date)) {
      return Object.fromEntries(Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]]));
    }
    return v;
  });
}

export const planHash = (deployed: unknown): string => `sha256:${createHash('sha256').update(canonicalJson(deployed)).digest('hex')}`;

/** The plan as a JSON payload carries it (what a schedule's describe gives back). */
const asJson = (v: unknown): unknown => (v === undefined ? undefined : JSON.parse(canonicalJson(v)));

/**
 * What differs between two plans: per source, sink and connection (`sources.sales`, `sinks.lake
 * (added)`, `connections.warehouse (removed)`), and each other top-level key of the spec
 * (`schedule`, `preprocess`, `settings`), plus the run params and the file.
 */
export function planDiff(deployed: RunPlan, next: RunPlan): string[] {
  const [a, b] = [asJson(deployed) as RunPlan, asJson(next) as RunPlan];
  const same = (x: unknown, y: unknown) => canonicalJson(x) === canonicalJson(y);
  const changes: string[] = [];
  const keyed = (label: string, x: Record<string, unknown> = {}, y: Record<string, unknown> = {}) => {
    for (const name of [...new Set([...Object.keys(x), ...Object.keys(y)])].sort()) {
      if (!(name in x)) changes.push(`${label}.${name} (added)`);
      else if (!(name in y)) changes.push(`${label}.${name} (removed)`);
      else if (!same(x[name], y[name])) changes.push(`${label}.${name}`);
    }
  };
  const specA = (a.spec ?? {}) as unknown as Record<string, unknown>;
  const specB = (b.spec ?? {}) as unknown as Record<string, unknown>;
  for (const key of [...new Set([...SPEC_KEYS, ...Object.keys(specA), ...Object.keys(specB)])]) {
    if (key === 'sources' || key === 'sinks') keyed(key, specA[key] as Record<string, unknown>, specB[key] as Record<string, unknown>);
    else if (!same(specA[key], specB[key])) changes.push(key);
  }
  keyed('connections', a.connections, b.connections);
  if (!same(a.params, b.params)) changes.push('run params');
  if (a.file !== b.file) changes.push(`file (was ${a.file})`);
  // Only the bytes changed (a comment): the audit record of its runs names the file's hash.
  else if (changes.length === 0 && a.fileSha256 !== b.fileSha256) changes.push('file contents');
  return changes;
}

/**
 * `describe`'s plan line: up to date, what differs (and the apply that deploys it), or why the file
 * cannot be deployed as this schedule — it is another pipeline's (applying it would touch that
 * pipeline's schedule), or it has no `schedule:` section (apply would skip it).
 */
export function planDrift(id: string, deployed: RunPlan, next: RunPlan, file: string): string {
  if (next.pipeline !== id) return `cannot compare with ${file}: it is pipeline ${next.pipeline}, not ${id} (--file names the file of ${id})`;
  const changes = planDiff(deployed, next);
  if (!changes.length) return `up to date with ${file}`;
  if (!next.spec.schedule) return `differs from ${file}: it has no schedule: section any more (ferry schedule delete ${id}, or apply its directory with --prune)`;
  return `differs from ${file}: ${changes.join(', ')} (ferry schedule apply ${file})`;
}
