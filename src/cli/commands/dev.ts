/** `ferry dev [start|stop|status|env]`: the local Temporal dev server and MinIO (built when missing). */
import { Argument, Command } from 'commander';
import type { Cli } from '../context.js';

const ACTIONS = {
  start: 'build (first time) and start the Temporal dev server and MinIO on loopback',
  stop: 'stop the services this project started',
  status: 'say which services answer on their ports',
  env: 'print the environment a client shell needs (eval "$(ferry dev env)")',
} as const;

async function services(cli: Cli, action: keyof typeof ACTIONS): Promise<void> {
  const [{ spawnSync }, { fileURLToPath }] = await Promise.all([import('node:child_process'), import('node:url')]);
  const script = fileURLToPath(new URL('../../../scripts/services.sh', import.meta.url));
  const res = spawnSync('bash', [script, action], { stdio: 'inherit' });
  if (res.status === 0 && action === 'start') {
    const { settings } = await import('../../config.js');
    cli.out(`\nTemporal UI: ${settings().uiUrl}\nFor a client shell: eval "$(bash scripts/services.sh env)"\n`);
  }
  cli.exitCode = res.status ?? 1;
}

export function devCommand(cli: Cli): Command {
  const dev = new Command('dev').description('the local Temporal dev server and MinIO (`ferry dev` = `ferry dev start`)')
    // Not a default subcommand: that would pass `ferry dev bogus` to start ("too many arguments for
    // 'start'"). Named subcommands are dispatched before this argument is looked at.
    .addArgument(new Argument('[command]').choices(Object.keys(ACTIONS)).argOptional())
    .usage('[options] [command]')
    .action(() => services(cli, 'start'));
  for (const [action, description] of Object.entries(ACTIONS) as [keyof typeof ACTIONS, string][]) {
    dev.addCommand(new Command(action).description(description).action(() => services(cli, action)));
  }
  return dev;
}
