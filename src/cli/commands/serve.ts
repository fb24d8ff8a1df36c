/** `ferry serve`: serve pipeline views, the run list and live run pages, with a read-only JSON API. */
import { Command, Option, InvalidArgumentError } from 'commander';
import type { Cli } from '../context.js';

const port = (value: string): number => {
  if (!/^\d+$/.test(value) || Number(value) > 65535) throw new InvalidArgumentError('expected a port number from 0 to 65535');
  return Number(value);
};

export function serveCommand(cli: Cli): Command {
  return new Command('serve')
    .description('serve pipeline views, the run list and live run pages, with a read-only JSON API')
    .addOption(new Option('--port <n>', 'port to listen on (0: any free port)').default(4141).argParser(port))
    .addOption(new Option('--host <address>', 'address to bind (loopback unless you mean to share it)').default('127.0.0.1'))
    .addOption(new Option('--dir <folder>', 'the pipelines to show').default('config/pipelines'))
    .addHelpText('after', `
Pages: /  (pipelines and runs) · /pipelines/<name> · /runs/<workflow-id> (live while it runs)
JSON:  /api/pipelines · /api/pipelines/<name> · /api/runs?pipeline=&status=&since=&trigger=&limit= · /api/runs/<id>
Read-only; stop it with Ctrl-C.

Example:
  ferry serve --port 4141 --dir config/pipelines`)
    .action(async (opts: { port: number; host: string; dir: string }) => {
      const [{ startVizServer }, { readCatalog }, { ConfigError }] = await Promise.all([import('../../viz/server.js'), import('../../viz/catalog.js'), import('../../errors.js')]);
      const pipelines = await readCatalog(opts.dir); // a missing folder is an error now, not on every page
      const server = await startVizServer({ ...opts, connect: cli.services.connect }).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'EADDRINUSE') throw new ConfigError(`port ${opts.port} on ${opts.host} is in use: pick another with --port`);
        throw err;
      });
      cli.out(`serving ${pipelines.length} pipeline${pipelines.length === 1 ? '' : 's'} from ${opts.dir} on ${server.url}  (Ctrl-C stops)\n`);
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          void server.close().then(resolve);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      cli.out('stopped\n');
    });
}
