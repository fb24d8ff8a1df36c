/**
 * A Ferry worker as its own process, for tests that kill it (SIGKILL) mid-activity:
 *
 *   spawn(process.execPath, ['--import', 'tsx', 'test/support/worker-process.ts'], { env: { …, FERRY_TASK_QUEUE: q } })
 *
 * Prints `ready <pid>` once it polls its task queue, and one line per finished activity attempt.
 * Staging is FERRY_STAGING (default `.ferry/test-staging`), all other settings are the defaults.
 */
import { createWorker } from '../../src/worker.js';
import { LocalStagingStore } from '../../src/staging/store.js';
import { closePgPools } from '../../src/connect/pg.js';

const { worker, connection } = await createWorker({
  staging: new LocalStagingStore(process.env.FERRY_STAGING || '.ferry/test-staging'),
  report: (r) => process.stdout.write(`attempt ${r.label} #${r.attempt} ${r.error ? `failed: ${r.error}` : `ok: ${r.summary}`}\n`),
});
const running = worker.run();
// Worker.run() polls from here on; the state flips to RUNNING synchronously.
process.stdout.write(`ready ${process.pid}\n`);
try {
  await running;
} finally {
  await closePgPools();
  await connection.close();
}
