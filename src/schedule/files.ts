/**
 * Pipelines to deploy: one file, or every pipeline file in a directory. A pipeline is loaded with
 * its schedule's `params` (so `${param:…}` resolve as in a scheduled run) and validated as
 * `ferry validate` does; every problem of every file is collected.
 *
 *   const { plans, skipped, issues } = await schedulePlans('config/pipelines');
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { loadPipeline, SpecError, type SpecIssue } from '../pipeline/load.js';
import { planOf } from '../cli/start.js';
import type { RunPlan } from '../run.js';

export type SchedulePlans = {
  /** Pipelines with a schedule: section, as run plans with the schedule's params. */
  plans: RunPlan[];
  /** Valid pipelines without a schedule: section. */
  skipped: { pipeline: string; file: string }[];
  issues: SpecIssue[];
  isDirectory: boolean;
};

const PIPELINE_FILE = /\.ya?ml$/;
/** Files in a pipelines folder that are not pipelines. */
const NOT_PIPELINES = new Set(['connections.yaml', 'connections.yml']);

/** The pipeline files `target` names: itself, or the YAML files directly inside it (sorted). */
export async function pipelineFiles(target: string): Promise<{ files: string[]; isDirectory: boolean }> {
  const info = await stat(target).catch(() => undefined);
  if (!info?.isDirectory()) return { files: [target], isDirectory: false };
  const names = (await readdir(target)).filter((n) => PIPELINE_FILE.test(n) && !NOT_PIPELINES.has(n)).sort();
  return { files: names.map((n) => join(target, n)), isDirectory: true };
}

/** The `schedule.params` of a file, read before validation (they resolve `${param:…}` in the rest). */
async function scheduleParams(file: string): Promise<Record<string, string>> {
  try {
    const raw = parse(await readFile(file, 'utf8')) as { schedule?: { params?: Record<string, unknown> } } | null;
    const params = raw?.schedule?.params;
    if (!params || typeof params !== 'object') return {};
    return Object.fromEntries(Object.entries(params).map(([k, v]) => [k, String(v)]));
  } catch {
    return {}; // loadPipeline reports the file's problems
  }
}

/** The run plan a schedule deploys for one pipeline file (`plan.spec.schedule` is undefined without a schedule: section). */
export async function schedulePlan(file: string): Promise<RunPlan> {
  const loaded = await loadPipeline(file, { params: await scheduleParams(file) });
  return planOf(loaded);
}

export async function schedulePlans(target: string): Promise<SchedulePlans> {
  const { files, isDirectory } = await pipelineFiles(target);
  const out: SchedulePlans = { plans: [], skipped: [], issues: [], isDirectory };
  for (const file of files) {
    try {
      const plan = await schedulePlan(file);
      if (plan.spec.schedule) out.plans.push(plan);
      else out.skipped.push({ pipeline: plan.pipeline, file: plan.file });
    } catch (err) {
      if (!(err instanceof SpecError)) throw err;
      out.issues.push(...err.issues);
    }
  }
  // Two files with one name would deploy one schedule twice.
  const byName = new Map<string, string>();
  for (const p of out.plans) {
    const other = byName.get(p.pipeline);
    if (other) out.issues.push({ file: p.file, path: 'name', message: `pipeline ${p.pipeline} is also defined in ${other}: a schedule's id is its pipeline's name` });
    byName.set(p.pipeline, p.file);
  }
  return out;
}
