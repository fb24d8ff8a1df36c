#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, so there is no build step between editing and running.
// Commands import their heavy dependencies (Temporal, DuckDB, the adapters) only when they run,
// so `ferry --help` and usage errors answer quickly.
import { register } from 'tsx/esm/api';

// `ferry history <id> | head`: the reader going away is not an error.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
