/** `ferry viz`: write a self-contained HTML page of a pipeline's graph and a run. */
import { Command, Option } from 'commander';
import type { Cli } from '../context.js';
import { paramOption } from '../options.js';

export function vizCommand(cli: Cli): Command {
  return new Command('viz')
    .description("write a self-contained HTML page of a pipeline's graph and a run (default: its latest)")
    .argument('<pipeline>', 'the pipeline YAML file')
    .addOption(new Option('-r, --run <workflow-id>', 'the run to show (default: the latest run of the pipeline)'))
    .addOption(new Option('-o, --out <file>', 'where to write the page (default: <pipeline name>.html)'))
    .addOption(paramOption())
    .addHelpText('after', `
The page needs nothing else: open it from disk, mail it, attach it to a ticket. It shows sources,
steps, staged datasets and sinks, each with its config (secrets stay \${env:…} references) and the
run's rows, durations, status and errors; click a node for its columns. Without Temporal or without
runs, it shows the graph alone.

Example:
  ferry viz config/pipelines/retail.yaml --out retail.html`)
    .action(async (file: string, opts: { run?: string; out?: string; param?: Record<string, string> }) => {
      const { loadForCli } = await import('../load-for-cli.js');
      const loaded = await loadForCli(cli, file, opts.param ?? {});
      if (!loaded) return;
      const [{ writeFile }, { pipelineView, tryConnect }, { vizPage }, { dim }] = await Promise.all([
        import('node:fs/promises'), import('../../viz/view.js'), import('../../viz/page.js'), import('../render.js'),
      ]);
      const client = await tryConnect(cli.services.connect);
      try {
        const view = await pipelineView(loaded, { client, ...(opts.run ? { runId: opts.run } : {}) });
        const out = opts.out ?? `${loaded.spec.name}.html`;
        await writeFile(out, vizPage({ ...view, generatedAt: new Date().toISOString() }));
        const what = view.run ? `run ${view.run.workflowId} (${view.run.status})` : 'no run';
        cli.out(`wrote ${out}: ${view.graph.nodes.length} nodes, ${view.graph.edges.length} edges, ${what}\n`);
        if (view.notice) cli.out(`${dim(view.notice)}\n`);
      } finally {
        if (!('unreachable' in client)) await client.connection.close();
      }
    });
}
