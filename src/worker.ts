/**
 * The Ferry worker: the `pipeline` workflow and the ingest/transform/deliver activities on one task
 * queue, plus, for every rate-limited connection it loads (`rate_limit:`, src/rate-limit.ts),
 * an activity-only worker on that connection's queue whose dispatch rate the Temporal server limits
 * for all workers together. Temporal's runtime drains them on SIGINT/SIGTERM; pools are closed after.
 *
 *   const { worker } = await createWorker({ taskQueue: 'ferry' });
 *   await worker.run();
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker, Runtime, DefaultLogger, type LogLevel } from '@temporalio/worker';
import { createActivities } from '../activities/index.js';
import type { Reporter } from '../activities/boundary.js';
import { stagingFromEnv, type StagingStore } from './staging/store.js';
import { settings } from './config.js';
import { sdkLogFunction, type LogFormat } from './worker-log.js';
import { sweepWorkdirs } from '../activities/workdirs.js';
import { HISTOGRAM_BUCKETS } from './metrics.js';
import { ConfigError, ResourceError } from './errors.js';
import type { ConnectionSpec } from './connect/connections.js';
import { rateLimitQueue, rateLimitedConnections } from './rate-limit.js';
import { loadConnections } from './pipeline/load.js';

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

export type WorkerOptions = {
  taskQueue?: string;
  address?: string;
  namespace?: string;
  staging?: StagingStore;
  maxConcurrentActivities?: number;
  report?: Reporter;
  /** Serve Prometheus metrics (the SDK's and Ferry's, docs/metrics.md) on this `IP:PORT`. */
  metrics?: string;
  /** How the SDK's own log lines are written (stderr): text or one JSON object per line. */
  logFormat?: LogFormat;
  /**
   * The connections whose `rate_limit:` this worker serves (one extra activity worker each); default:
   * the file FERRY_CONNECTIONS names, else config/connections.yaml if there is one.
   */
  connections?: Record<string, ConnectionSpec>;
};

/** The main worker and the rate-limited connections' workers, run and stopped together. */
export type FerryWorker = {
  run(): Promise<void>;
  shutdown(): void;
  /** Every task queue polled: the main one first, then one per rate-limited connection. */
  taskQueues: string[];
};

let runtimeInstalled = false;

/**
 * Quiets the SDK's own logging to warnings unless FERRY_LOG_LEVEL says otherwise, one line each
 * (activity failures are reported by the boundary instead; see worker-log.ts), as text or JSON.
 * With `metrics`, the SDK's Prometheus exporter listens there. Once per process: the first call's
 * format wins.
 */
export function installRuntime(level: LogLevel = (process.env.FERRY_LOG_LEVEL as LogLevel) || 'WARN', options: { metrics?: string; format?: LogFormat } = {}): void {
  const { metrics, format = 'text' } = options;
  if (runtimeInstalled) {
    if (metrics) throw new ConfigError(`cannot serve metrics on ${metrics}: this process already runs a Temporal runtime without metrics`);
    return;
  }
  try {
    Runtime.install({
      logger: new DefaultLogger(level, sdkLogFunction(undefined, format)),
      // Core's own logs go through the same logger and level, instead of straight to stderr.
      telemetryOptions: {
        logging: { filter: { core: level, other: level }, forward: {} },
        ...(metrics ? { metrics: { prometheus: { bindAddress: metrics, histogramBucketOverrides: HISTOGRAM_BUCKETS } } } : {}),
      },
    });
  } catch (err) {
    throw metricsError(err, metrics);
  }
  runtimeInstalled = true;
}

/** The exporter's bind failures, said in one line: the address is taken, or cannot be listened on. */
function metricsError(err: unknown, address: string | undefined): unknown {
  const message = err instanceof Error ? err.message : String(err);
  if (!address || !/prometheus|socket ?addr/i.test(message)) return err;
  if (/address already in use|os error 98/i.test(message)) return new ResourceError(`cannot serve metrics on ${address}: the address is already in use (another process listens there; choose another --metrics address)`, {}, { cause: err });
  const hint = /assign requested address/i.test(message) ? ' (the IP is not one of this machine\'s addresses)' : /permission denied/i.test(message) ? ' (ports below 1024 need privileges)' : '';
  return new ConfigError(`cannot serve metrics on ${address}: ${message.replace(/^.*prometheus metrics exporter: /i, '')}${hint}`, {}, { cause: err });
}

export async function createWorker(options: WorkerOptions = {}): Promise<{ worker: FerryWorker; connection: NativeConnection }> {
  const s = settings();
  installRuntime(undefined, { metrics: options.metrics, format: options.logFormat });
  // Work folders of workers that were killed (SIGKILL runs no cleanup) go now.
  await sweepWorkdirs();
  const connections = options.connections ?? await defaultConnections();
  const connection = await NativeConnection.connect({ address: options.address ?? s.temporalAddress });
  const namespace = options.namespace ?? s.namespace;
  const taskQueue = options.taskQueue ?? s.taskQueue;
  const activities = createActivities({ staging: options.staging ?? stagingFromEnv(), report: options.report });
  const common = {
    connection,
    namespace,
    activities,
    shutdownGraceTime: '10s',
    // Heartbeats reach the server at least every 2 s (not 0.8 × heartbeat_timeout): a cancelled run's
    // activities learn of it within seconds, and a killed worker's last beat is at most 2 s old.
    maxHeartbeatThrottleInterval: '2s',
  } as const;
  const main = await Worker.create({
    ...common,
    taskQueue,
    workflowsPath,
    maxConcurrentActivityTaskExecutions: options.maxConcurrentActivities ?? 4,
  });
  const limited: Worker[] = [];
  for (const { connection: name, limit } of rateLimitedConnections(connections)) {
    limited.push(await Worker.create({
      ...common,
      taskQueue: rateLimitQueue(taskQueue, name),
      // Server-side: the matching service dispatches at most this many activity tasks per second
      // from the queue, to all its pollers together (every worker sets the same value).
      maxTaskQueueActivitiesPerSecond: limit.requests_per_second,
      maxConcurrentActivityTaskExecutions: limit.concurrency,
    }));
  }
  return { worker: together([main, ...limited]), connection };
}

/** Runs the workers together: when one stops (or fails), the others are stopped too. */
function together(workers: Worker[]): FerryWorker {
  const stopAll = () => {
    for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
  };
  return {
    taskQueues: workers.map((w) => w.options.taskQueue),
    shutdown: stopAll,
    async run() {
      const runs = workers.map((w) => w.run().finally(stopAll));
      const results = await Promise.allSettled(runs);
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    },
  };
}

/** The connections file FERRY_CONNECTIONS names (it must exist), else config/connections.yaml if there is one. */
export async function defaultConnections(file = process.env.FERRY_CONNECTIONS): Promise<Record<string, ConnectionSpec>> {
  if (file && !existsSync(file)) throw new ConfigError(`connections file ${file} does not exist`, { file });
  const found = file || (existsSync('config/connections.yaml') ? 'config/connections.yaml' : undefined);
  return found ? loadConnections(found) : {};
}
