/**
 * A Ferry worker process whose `quality` activity is fake (test/support/gate.ts fakeQuality: one
 * table rule fails and asks), every other activity real, for the human-gate tests that kill it:
 *
 *   spawn(process.execPath, ['--import', 'tsx', 'test/support/gate-worker.ts'], { env: { …, FERRY_TASK_QUEUE: q } })
 *
 * Prints `ready <pid>` once it polls. TEMPORAL_ADDRESS, FERRY_TASK_QUEUE and FERRY_STAGING as `ferry worker`;
 * default heartbeat and retry settings.
 */
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../../activities/index.js';
import { installRuntime, workflowsPath } from '../../src/worker.js';
import { settings } from '../../src/config.js';
import { LocalStagingStore } from '../../src/staging/store.js';
import { fakeQuality } from './gate.js';

installRuntime();
const s = settings();
const connection = await NativeConnection.connect({ address: s.temporalAddress });
const worker = await Worker.create({
  connection,
  namespace: s.namespace,
  taskQueue: s.taskQueue,
  workflowsPath,
  activities: { ...createActivities({ staging: new LocalStagingStore(process.env.FERRY_STAGING || '.ferry/test-staging') }), quality: fakeQuality('table') },
});
const running = worker.run();
process.stdout.write(`ready ${process.pid}\n`);
try {
  await running;
} finally {
  await connection.close();
}
