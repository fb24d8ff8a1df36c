#!/usr/bin/env node
// Runs the CLI: short commands from a precompiled build that matches the sources (cli-bundle.js; built
// on first use and whenever a source changed), otherwise — and always for the long-running worker,
// dev and serve, whose start-up does not matter — the TypeScript sources through tsx, so there is no
// build step between editing and running. Commands import their heavy dependencies (Temporal,
// DuckDB, the adapters) only when they run, so `ferry --help` and usage errors answer quickly.

// `ferry history <id> | head`: the reader going away is not an error.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

const argv = process.argv.slice(2);
const longRunning = ['worker', 'dev', 'serve'].includes(argv[0]);
let main;
if (!longRunning && process.env.FERRY_NO_BUNDLE !== '1') {
  const { freshBundle, buildBundle } = await import('./cli-bundle.js');
  const entry = freshBundle() ?? (await buildBundle());
  if (entry) ({ main } = await import(entry));
}
if (!main) {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/cli/main.ts'));
}
process.exitCode = await main(argv);
