/**
 * A pipeline's page: its graph and layout, and the chosen run (default: its latest) if Temporal can
 * be reached. Without Temporal, or without runs, the page says so and still draws the graph.
 *
 *   const page = await pipelineView(loaded, { client, runId: 'retail-…' });
 *   await writeFile('retail.html', vizPage(page));
 */
import type { Client } from '@temporalio/client';
import type { LoadedPipeline } from '../pipeline/load.js';
import { ConfigError } from '../errors.js';
import { settings } from '../config.js';
import { pipelineGraph } from './model.js';
import { layoutGraph } from './layout.js';
import { readRunView, latestRunId } from './read.js';
import type { PageInput } from './page.js';

export type ViewOptions = {
  /** A connected client, or the reason there is none (then the page shows the graph only). */
  client: Client | { unreachable: string };
  runId?: string;
};

export async function pipelineView(loaded: LoadedPipeline, options: ViewOptions): Promise<PageInput & Required<Pick<PageInput, 'graph' | 'layout'>>> {
  const graph = pipelineGraph(loaded);
  const base = { title: graph.pipeline, graph, layout: layoutGraph(graph) };
  const { client } = options;
  if ('unreachable' in client) {
    return { ...base, notice: `Temporal is not reachable at ${settings().temporalAddress} (${client.unreachable}): the graph without ${options.runId ? `run ${options.runId}` : 'a run'}.` };
  }
  const id = options.runId ?? await latestRunId(client, graph.pipeline);
  if (!id) return { ...base, notice: `No runs of ${graph.pipeline} yet: the graph only. Start one with ferry run ${loaded.file}.` };
  const { run } = await readRunView(client, graph, id);
  if (run.pipeline && run.pipeline !== graph.pipeline) throw new ConfigError(`run ${id} is a run of pipeline ${run.pipeline}, not ${graph.pipeline}`);
  return { ...base, run };
}

/** Connects, or says why not: the view works without Temporal. */
export async function tryConnect(connect: () => Promise<Client>): Promise<Client | { unreachable: string }> {
  try {
    return await connect();
  } catch (err) {
    return { unreachable: (err as Error).message.replace(/^cannot reach the Temporal server at \S+ \((.*)\); .*$/s, '$1') };
  }
}
