/**
 * Starting and watching runs from outside the worker.
 *
 *   const client = await connectClient();
 *   const handle = await startRun(client, plan, { id: 'retail-manual-1' });
 *   const report = await handle.result();
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Client, Connection, WorkflowExecutionAlreadyStartedError, type WorkflowHandle, type WorkflowHandleWithFirstExecutionRunId, type WorkflowIdReusePolicy } from '@temporalio/client';
import type { SearchAttributePair } from '@temporalio/common';
import { ConfigError, TransientError } from './errors.js';
import type { RunPlan, RunReport, RunTrigger } from './run.js';
import { datedRunId, localDate } from './run-date.js';
import { FERRY_PIPELINE, FERRY_RUN_DATE, FERRY_SEARCH_ATTRIBUTES, FERRY_TRIGGER } from './search-attributes.js';
import type { Progress } from '../activities/adapter.js';
import { settings } from './config.js';

export async function connectClient(address = settings().temporalAddress): Promise<Client> {
  let connection: Connection;
  try {
    connection = await Connection.connect({ address, connectTimeout: '5s' });
  } catch (err) {
    throw new TransientError(`cannot reach the Temporal server at ${address} (${(err as Error).message}); start one with \`ferry dev\` or set TEMPORAL_ADDRESS`);
  }
  return new Client({ connection, namespace: settings().namespace });
}

export function defaultRunId(pipeline: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${pipeline}-${stamp}-${Math.random().toString(36).slice(2, 6)}`;
}

export type StartOptions = {
  id?: string;
  taskQueue?: string;
  /** The logical run time (ISO): `ferry run --date`; default: now. */
  time?: string;
  trigger?: RunTrigger;
  /** Reuse policy for the id (`ferry retry` reuses only the id of a run that did not complete). */
  workflowIdReusePolicy?: WorkflowIdReusePolicy;
};

/**
 * Starts a run with its logical run (time and trigger) in the plan, Ferry's search attributes set
 * from the first event, and a summary the Temporal UI shows without opening a payload.
 */
export async function startRun(client: Client, plan: RunPlan, options: StartOptions = {}): Promise<WorkflowHandleWithFirstExecutionRunId> {
  plan = await withFileHash(plan);
  const time = options.time ?? plan.run?.time ?? new Date().toISOString();
  const trigger = options.trigger ?? 'client';
  const timezone = plan.spec.schedule?.timezone ?? 'UTC';
  const workflowId = options.id ?? (options.time ? datedRunId(plan.pipeline, time) : defaultRunId(plan.pipeline));
  return withSearchAttributeHint(client, () => client.workflow.start('pipeline', {
    args: [{ ...plan, run: { time, trigger } }],
    taskQueue: options.taskQueue ?? settings().taskQueue,
    workflowId,
    ...(options.workflowIdReusePolicy ? { workflowIdReusePolicy: options.workflowIdReusePolicy } : {}),
    typedSearchAttributes: runSearchAttributes(plan.pipeline, localDate(time, timezone), trigger),
    ...runMetadata(plan),
  })).catch((err: unknown) => {
    // One logical run at a time: say which run is in the way and what to do.
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      throw new ConfigError(`run ${workflowId} is already running (one logical run at a time): follow it with \`ferry status ${workflowId}\`, or stop it with \`ferry cancel ${workflowId}\` first`, {}, { cause: err });
    }
    throw err;
  });
}

/**
 * The plan with the sha256 of its pipeline file (the audit record): `planOf` sets it from the bytes
 * it validated; a plan built some other way gets the file's hash now, or none if it cannot be read.
 * A retry keeps the plan it retries as it was (the file may have changed since): no hash is made up.
 */
export async function withFileHash(plan: RunPlan): Promise<RunPlan> {
  if (plan.fileSha256 || plan.resume) return plan;
  const bytes = await readFile(plan.file).catch(() => undefined);
  return bytes ? { ...plan, fileSha256: createHash('sha256').update(bytes).digest('hex') } : plan;
}

/**
 * Runs a call that sets Ferry's search attributes; a namespace where they are not registered
 * gets a ConfigError that says how to register them, instead of Temporal's INVALID_ARGUMENT.
 */
export async function withSearchAttributeHint<T>(client: Client, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    const text = `${(err as Error).message} ${((err as Error).cause as Error | undefined)?.message ?? ''}`;
    const name = /search attribute (\w+)/.exec(text)?.[1];
    if (!name || !/no mapping defined|not defined|not registered/i.test(text)) throw err;
    const ns = client.options.namespace;
    const create = Object.entries(FERRY_SEARCH_ATTRIBUTES).map(([n, type]) => `--name ${n} --type ${type}`).join(' ');
    throw new ConfigError(`search attribute ${name} (one of Ferry's: ${Object.keys(FERRY_SEARCH_ATTRIBUTES).join(', ')}) is not registered in namespace ${ns}: run \`ferry dev\` for the local dev server, or once per namespace: temporal operator search-attribute create --namespace ${ns} ${create}`);
  }
}

/** Ferry's search attributes of a run (src/search-attributes.ts). */
export function runSearchAttributes(pipeline: string, date: string | undefined, trigger: RunTrigger): SearchAttributePair[] {
  return [
    { key: FERRY_PIPELINE, value: pipeline },
    ...(date ? [{ key: FERRY_RUN_DATE, value: date }] : []),
    { key: FERRY_TRIGGER, value: trigger },
  ];
}

/** What the Temporal UI shows of a run at a glance: the pipeline, its description, its stages. */
export function runMetadata(plan: RunPlan): { staticSummary: string; staticDetails: string } {
  const { spec } = plan;
  const list = (names: string[]) => names.join(', ') || '—';
  return {
    staticSummary: spec.description ? `${plan.pipeline}: ${spec.description}` : `pipeline ${plan.pipeline}`,
    staticDetails: [
      `**${plan.pipeline}** (${plan.file})`,
      spec.description ?? '',
      `- sources: ${list(Object.entries(spec.sources).map(([name, s]) => `${name} (${s.type})`))}`,
      `- standardize: ${spec.standardize.length} steps · preprocess: ${spec.preprocess.length} steps`,
      `- sinks: ${list(Object.entries(spec.sinks).map(([name, s]) => `${name} (${s.type})`))}`,
    ].filter(Boolean).join('\n'),
  };
}

/** What running activities last heartbeated ("ingest customers: page 2 · 8 rows"), for live views. */
export async function runningActivities(handle: WorkflowHandle): Promise<string[]> {
  try {
    const desc = await handle.describe();
    return (desc.raw.pendingActivities ?? []).flatMap((a) => {
      const data = a.heartbeatDetails?.payloads?.[0]?.data;
      if (!data) return [];
      const p = JSON.parse(Buffer.from(data).toString('utf8')) as Progress;
      const parts = [p.page && `page ${p.page}`, p.batch && `batch ${p.batch}`, p.rows !== undefined && `${p.rows} rows`, p.note].filter(Boolean);
      return [`${p.activity ?? a.activityType?.name}${a.attempt && a.attempt > 1 ? ` (attempt ${a.attempt})` : ''}: ${parts.join(' · ') || 'started'}`];
    });
  } catch {
    return [];
  }
}

export async function queryProgress(handle: WorkflowHandle): Promise<RunReport | undefined> {
  try {
    return await handle.query<RunReport>('progress');
  } catch {
    return undefined; // not picked up by a worker yet
  }
}
