/**
 * Activities re-validate the plan slice they receive (their source or sink spec, the connections it
 * names, their stage's steps) with the same zod schemas `ferry validate` uses: a client that starts
 * a workflow without validating gains nothing. An invalid slice is a non-retryable CONFIG failure.
 *
 *   const source = checkSource(input.source, { stage: 'ingest', dataset });
 */
import { z } from 'zod';
import { ConfigError, type ErrorContext } from '../src/errors.js';
import { connectionSchema, type ConnectionSpec } from '../src/connect/connections.js';
import { stepSchema, type StepSpec } from '../src/table/steps/index.js';
import { parseDuration } from '../src/pipeline/duration.js';
import { envRefNames } from '../src/pipeline/interpolate.js';
import { envRefsOutsideSecrets } from '../src/pipeline/secrets.js';
import { resolveRunRefs } from '../src/pipeline/run-refs.js';
import type { RunContext } from '../src/run.js';
import { pipelineName, STEP_STAGES } from '../src/pipeline/schema.js';
import { datasetName } from '../src/table/steps/step.js';
import { sourceSchema, type SourceSpec } from './sources/index.js';
import { sinkSchema, type SinkSpec } from './sinks/index.js';

const invalid = (issues: string[], context: ErrorContext) =>
  new ConfigError(`invalid activity input (was the pipeline validated?): ${issues.join('; ')}`, context);

function issuesOf<T>(schema: z.ZodType<T>, value: unknown, what: string): { data?: T; issues: string[] } {
  const res = schema.safeParse(value);
  if (res.success) return { data: res.data, issues: [] };
  return { issues: res.error.issues.map((i) => `${[what, ...i.path].join('.')}: ${i.message}`) };
}

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string, context: ErrorContext): T {
  const { data, issues } = issuesOf(schema, value, what);
  if (issues.length) throw invalid(issues, context);
  return data as T;
}

/**
 * The pipeline's name, the stage and the dataset and sink names of the slice: they become folders
 * and file names in the staging store, so a name that is a path (`../x`) would write outside it.
 */
export function checkNames(names: { pipeline: unknown; stage?: unknown; datasets?: unknown[] }, context: ErrorContext): void {
  const checks: [string, z.ZodType, unknown][] = [
    ['pipeline', pipelineName, names.pipeline],
    ...('stage' in names ? [['stage', z.enum(STEP_STAGES), names.stage] as [string, z.ZodType, unknown]] : []),
    ...(names.datasets ?? []).map((d): [string, z.ZodType, unknown] => ['dataset', datasetName, d]),
  ];
  const issues = checks.flatMap(([what, schema, value]) => issuesOf(schema, value, what).issues.map((i) => `${i} (got ${JSON.stringify(value)})`));
  if (issues.length) throw invalid(issues, context);
}

/**
 * `${env:…}` is resolved only in connections: in a source, sink or step it would be sent literally
 * (e.g. in a query parameter), so a slice carrying one is refused, as `ferry validate` refuses it.
 */
function noEnvRefs<T>(value: T, what: string, context: ErrorContext): T {
  const names = envRefNames(value);
  if (names.length) throw invalid([`${what}: \${env:${names[0]}} is resolved only in connections.yaml, never in a pipeline field`], context);
  return value;
}

/**
 * The run's values are put in first (src/pipeline/run-refs.ts), so the schema checks what the
 * adapter will use: an S3 key that became `a/../b` is refused here, as in `ferry validate`.
 */
export const checkSource = (spec: unknown, context: ErrorContext, run?: RunContext): SourceSpec =>
  noEnvRefs(parse(sourceSchema, resolveRunRefs(spec, run, { what: 'source', places: true, context }), 'source', context), 'source', context);

export const checkSink = (spec: unknown, context: ErrorContext, run?: RunContext): SinkSpec =>
  noEnvRefs(parse(sinkSchema, resolveRunRefs(spec, run, { what: 'sink', places: true, context }), 'sink', context), 'sink', context);

export function checkSteps(raw: unknown, context: ErrorContext, run?: RunContext): StepSpec[] {
  if (!Array.isArray(raw)) throw invalid(['steps: expected a list'], context);
  const steps = resolveRunRefs(raw, run, { what: 'steps', places: false, context });
  const checked = steps.map((s, i) => issuesOf(stepSchema, s, `steps.${i}`));
  const issues = checked.flatMap((c) => c.issues);
  if (issues.length) throw invalid(issues, context);
  // The pii step's keys are `${env:…}` by type: the step resolves them on the worker.
  const outside = envRefsOutsideSecrets(z.array(stepSchema), steps);
  if (outside.length) throw invalid([`steps.${outside[0]!.path.join('.')}: ${outside[0]!.ref} is resolved only in connections.yaml or a pii step's keys, never in another step field`], context);
  return checked.map((c) => c.data!);
}

/** The connections of the slice, and exactly the one the spec names (no more, no fewer). */
export function checkConnections(connections: unknown, spec: SourceSpec | SinkSpec, context: ErrorContext): Record<string, ConnectionSpec> {
  if (!connections || typeof connections !== 'object' || Array.isArray(connections)) {
    throw invalid(['connections: expected an object'], context);
  }
  const out: Record<string, ConnectionSpec> = {};
  for (const [name, c] of Object.entries(connections)) out[name] = parse(connectionSchema, c, `connections.${name}`, { ...context, connection: name });
  const named = 'connection' in spec ? spec.connection : undefined;
  if (named && !out[named]) throw new ConfigError(`invalid activity input: connection '${named}' is not in the slice`, { ...context, connection: named });
  return out;
}

export function checkDuration(text: unknown, what: string, context: ErrorContext): number | undefined {
  if (text === undefined) return undefined;
  try {
    return parseDuration(String(text));
  } catch {
    throw new ConfigError(`invalid activity input: ${what}: expected a duration such as 30s or 5m (got ${JSON.stringify(text)})`, context);
  }
}

/**
 * The checkpoint folder name of a dataset or sink in one execution (`generation`, a Temporal run
 * id): a retry resumes from what its execution saved, while a new run of the same logical run
 * starts afresh — it must not take the previous run's pages or acknowledged batches for its own.
 */
export const checkpointName = (name: string, generation: string): string => (generation ? `${name}@${generation.replace(/[^A-Za-z0-9-]/g, '_')}` : name);

/**
 * Activity inputs scheduled before plan slices existed carried the whole plan (`{ plan, dataset }`,
 * `{ plan, sink, … }`, `{ plan, stage, … }`). A retry of such an attempt on an upgraded worker takes
 * its slice from that plan, so runs in flight during an upgrade go on. Remove once no run from
 * before the change can be open.
 */
type LegacyPlan = { pipeline: string; spec: { sources: Record<string, unknown>; sinks: Record<string, unknown>; standardize: unknown[]; preprocess: unknown[] }; connections: Record<string, unknown> };

function legacyConnections(plan: LegacyPlan, spec: unknown): Record<string, unknown> {
  const name = spec && typeof spec === 'object' && 'connection' in spec ? String(spec.connection) : undefined;
  return name && plan.connections[name] ? { [name]: plan.connections[name] } : {};
}

export function fromLegacy<T extends object>(input: T): T {
  if (!('plan' in input) || !input.plan || typeof input.plan !== 'object') return input;
  const { plan, ...rest } = input as T & { plan: LegacyPlan; dataset?: string; sink?: string; stage?: 'standardize' | 'preprocess' };
  if ('input' in rest && rest.sink) {
    const spec = plan.spec.sinks[rest.sink];
    return { ...rest, pipeline: plan.pipeline, spec, connections: legacyConnections(plan, spec) } as unknown as T;
  }
  if (rest.stage) return { ...rest, pipeline: plan.pipeline, steps: plan.spec[rest.stage] } as unknown as T;
  const source = plan.spec.sources[rest.dataset ?? ''];
  return { ...rest, pipeline: plan.pipeline, source, connections: legacyConnections(plan, source) } as unknown as T;
}
