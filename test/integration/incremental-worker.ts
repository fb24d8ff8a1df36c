/**
 * A Ferry worker process for the incremental kill tests: the real activities, each wrapped so it
 * prints `mark <point>` at its boundaries (before and after ingest, each sink's deliver, the
 * watermark commit) and, when IT_DELAYS asks, waits there heartbeating — so the test can SIGKILL
 * it at every boundary. Uses a prebuilt workflow bundle (IT_BUNDLE) so a restart takes a second.
 */
import { Context } from '@temporalio/activity';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createActivities } from '../../activities/index.js';
import { LocalStagingStore } from '../../src/staging/store.js';
import { closePgPools } from '../../src/connect/pg.js';
import type { CommitWatermarksInput, DeliverInput, IngestInput } from '../../src/run.js';

const delays = JSON.parse(process.env.IT_DELAYS ?? '{}') as Record<string, number>;

async function mark(point: string): Promise<void> {
  process.stdout.write(`mark ${point}\n`);
  const until = Date.now() + (delays[point] ?? 0);
  while (Date.now() < until) {
    Context.current().heartbeat({ note: `test pause at ${point}` });
    await new Promise((r) => setTimeout(r, Math.min(250, until - Date.now())));
  }
}

const acts = createActivities({ staging: new LocalStagingStore(process.env.FERRY_STAGING!) });
const activities = {
  ...acts,
  async ingest(input: IngestInput) {
    await mark('ingest:before');
    const out = await acts.ingest(input);
    await mark('ingest:after');
    return out;
  },
  async deliver(input: DeliverInput) {
    await mark(`deliver:${input.sink}:before`);
    const out = await acts.deliver(input);
    await mark(`deliver:${input.sink}:after`);
    return out;
  },
  async commitWatermarks(input: CommitWatermarksInput) {
    await mark('commit:before');
    const out = await acts.commitWatermarks(input);
    await mark('commit:after');
    return out;
  },
};

Runtime.install({ logger: new DefaultLogger('ERROR') });
const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233' });
const worker = await Worker.create({
  connection,
  namespace: process.env.TEMPORAL_NAMESPACE ?? 'default',
  taskQueue: process.env.FERRY_TASK_QUEUE!,
  workflowBundle: { codePath: process.env.IT_BUNDLE! },
  activities,
  maxConcurrentActivityTaskExecutions: 4,
  maxHeartbeatThrottleInterval: '2s',
});
const running = worker.run();
process.stdout.write(`ready ${process.pid}\n`);
try {
  await running;
} finally {
  await closePgPools();
  await connection.close();
}
