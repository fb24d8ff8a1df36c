/** `ferry validate` and `ferry run`: the commands that take a pipeline file. */
import { setTimeout as sleep } from 'node:timers/promises';
import { WorkflowFailedError } from '@temporalio/client';
import { loadPipeline, SpecError, formatIssue, type LoadedPipeline } from '../pipeline/load.js';
import { connectClient, startRun, queryProgress, runningActivities } from '../client.js';
import { workflowUrl } from '../config.js';
import { ConfigError } from '../errors.js';
import { missingEnvRefs } from '../pipeline/interpolate.js';
import type { RunPlan, RunReport } from '../run.js';
import { bold, green, red, dim, ProgressView, reportText, rootMessage } from './render.js';

export function parseParams(pairs: string[] = []): Record<string, string> {
  return Object.fromEntries(pairs.map((p) => {
    const i = p.indexOf('=');
    if (i < 1) throw new ConfigError(`--param expects key=value, got '${p}'`);
    return [p.slice(0, i), p.slice(i + 1)];
  }));
}

export async function validateCommand(file: string, params: Record<string, string>): Promise<number> {
  try {
    const loaded = await loadPipeline(file, { params });
    const { spec } = loaded;
    process.stdout.write(`${green('✔')} ${loaded.file}: pipeline ${bold(spec.name)} is valid — ${Object.keys(spec.sources).length} sources, ` +
      `${spec.standardize.length} standardize and ${spec.preprocess.length} preprocess steps, ${Object.keys(spec.sinks).length} sinks\n`);
    // Not an error: secrets are resolved on the workers, whose environment may differ from this one.
    const unset = missingEnvRefs(loaded.connections);
    if (unset.length) process.stdout.write(`${dim(`note: ${unset.join(', ')} not set here; the workers need ${unset.length > 1 ? 'them' : 'it'}`)}\n`);
    return 0;
  } catch (err) {
    if (err instanceof SpecError) {
      process.stderr.write(`${red('✖')} ${err.issues.length} problem${err.issues.length === 1 ? '' : 's'}:\n${err.issues.map(formatIssue).join('\n')}\n`);
      return 1;
    }
    throw err;
  }
}

export const planOf = (loaded: LoadedPipeline): RunPlan => ({
  pipeline: loaded.spec.name,
  file: loaded.file,
  spec: loaded.spec,
  connections: loaded.connections,
  params: loaded.params,
});

export async function runCommand(file: string, opts: { params: Record<string, string>; wait: boolean; id?: string; taskQueue?: string }): Promise<number> {
  // Bad config never reaches Temporal: validation runs before any workflow starts.
  const loaded = await loadPipeline(file, { params: opts.params });
  const client = await connectClient();
  const handle = await startRun(client, planOf(loaded), { id: opts.id, taskQueue: opts.taskQueue });
  const url = workflowUrl(handle.workflowId);
  process.stdout.write(`started ${bold(loaded.spec.name)} as ${handle.workflowId}\n  ${dim(url)}\n`);
  if (!opts.wait) return 0;

  const view = new ProgressView();
  // Ctrl-C stops watching, not the run: it is durable and goes on in Temporal.
  process.once('SIGINT', () => {
    process.stdout.write(`\nstopped watching; the run goes on. Follow it with: ferry status ${handle.workflowId}\n`);
    process.exit(130);
  });
  let done = false;
  const result = handle.result().finally(() => {
    done = true;
  });
  result.catch(() => undefined);
  while (!done) {
    const progress = await queryProgress(handle);
    if (progress) view.update(progress, await runningActivities(handle));
    await Promise.race([sleep(500), result.catch(() => undefined)]);
  }
  try {
    const report = (await result) as RunReport;
    view.clear();
    process.stdout.write(reportText(report, url));
    return 0;
  } catch (err) {
    const progress = await queryProgress(handle);
    if (progress) view.update(progress);
    const cause = err instanceof WorkflowFailedError ? rootMessage(err) : (err as Error).message;
    process.stderr.write(`\n${red('✖ run failed')}${progress?.error ? ` in ${progress.error.split(':')[0]}` : ''}: ${cause}\n  ${dim(url)}\n`);
    return 1;
  }
}
