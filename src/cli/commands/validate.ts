/** `ferry validate <pipeline.yaml>`: every schema, parameter, connection and dataset problem in one pass. */
import { Command } from 'commander';
import type { Cli } from '../context.js';
import { paramOption } from '../options.js';

export function validateCommand(cli: Cli): Command {
  return new Command('validate')
    .description('check a pipeline: schema, parameters, connections and the dataset graph, all problems at once')
    .argument('<pipeline>', 'the pipeline YAML file')
    .addOption(paramOption())
    .action(async (file: string, opts: { param?: Record<string, string> }) => {
      const { loadForCli } = await import('../load-for-cli.js');
      const loaded = await loadForCli(cli, file, opts.param ?? {});
      if (!loaded) return;
      const { spec } = loaded;
      const { green, bold, dim } = await import('../render.js');
      cli.out(`${green('✔')} ${loaded.file}: pipeline ${bold(spec.name)} is valid — ${Object.keys(spec.sources).length} sources, ` +
        `${spec.standardize.length} standardize and ${spec.preprocess.length} preprocess steps, ` +
        `${spec.quality?.rules.length ? `${spec.quality.rules.length} quality rule${spec.quality.rules.length === 1 ? '' : 's'}, ` : ''}${Object.keys(spec.sinks).length} sinks\n`);
      // Not an error: secrets are resolved on the workers, whose environment may differ from this one.
      const { missingEnvRefs } = await import('../../pipeline/interpolate.js');
      const unset = missingEnvRefs([loaded.connections, spec.standardize, spec.preprocess]);
      if (unset.length) cli.out(`${dim(`note: ${unset.join(', ')} not set here; the workers need ${unset.length > 1 ? 'them' : 'it'}`)}\n`);
    });
}
